import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import type { ArchivedSecret } from '@hearth/core';
import { cannotRead } from './cannot-read.ts';
import { buildSecretObject } from './restored-secrets.ts';

/**
 * `hearth restore --include-secrets --secrets-namespace NS`: creates the decrypted Secrets
 * through the Kubernetes API, from inside a pod, with its ServiceAccount's token. It only
 * creates: a Secret that is there already is kept as it is (someone may have rotated it since
 * the backup), so the ServiceAccount needs `create` on secrets and nothing more.
 */

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubernetesApi {
  /** https://host:port of the API server. */
  readonly url: string;
  readonly tokenFile: string;
  readonly caFile: string;
}

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Where the API is, as a pod sees it (KUBERNETES_SERVICE_HOST/PORT and the ServiceAccount's
 * mounted token and CA), each replaced by HEARTH_KUBERNETES_URL, _TOKEN_FILE, _CA_FILE when set.
 */
export function kubernetesApiOf(env: Environment): KubernetesApi {
  const host = env['KUBERNETES_SERVICE_HOST'];
  const url =
    env['HEARTH_KUBERNETES_URL'] ??
    (host === undefined ? undefined : `https://${host.includes(':') ? `[${host}]` : host}:${env['KUBERNETES_SERVICE_PORT'] ?? '443'}`);
  if (url === undefined)
    throw new Error(
      '--secrets-namespace creates the Secrets from inside a pod: KUBERNETES_SERVICE_HOST is not set (outside a cluster, use --secrets-out FILE)',
    );
  return {
    url: url.replace(/\/+$/, ''),
    tokenFile: env['HEARTH_KUBERNETES_TOKEN_FILE'] ?? `${SERVICE_ACCOUNT}/token`,
    caFile: env['HEARTH_KUBERNETES_CA_FILE'] ?? `${SERVICE_ACCOUNT}/ca.crt`,
  };
}

/** What became of one Secret: created, or kept because one of its name was there. */
export type SecretOutcome = 'created' | 'kept';

export interface SecretsInNamespace {
  readonly api: KubernetesApi;
  readonly namespace: string;
  /** The archive they came from, for their annotation. */
  readonly from: string;
  /** Told of each Secret as it is done, so that what was done is reported even when a later one fails. */
  readonly onDone: (name: string, outcome: SecretOutcome) => void;
}

/** Creates each Secret in the namespace, keeping any that exists; throws one line, without values, on any other answer. */
export async function createSecretsInNamespace(secrets: readonly ArchivedSecret[], target: SecretsInNamespace): Promise<void> {
  const { api, namespace, from } = target;
  const token = (
    await readFile(api.tokenFile, 'utf8').catch((error: unknown) => Promise.reject(cannotRead(`the ServiceAccount token ${api.tokenFile}`, error)))
  ).trim();
  const ca = await readFile(api.caFile, 'utf8').catch((error: unknown) => Promise.reject(cannotRead(`the cluster's CA ${api.caFile}`, error)));
  for (const secret of secrets) {
    const answer = await postJson(`${api.url}/api/v1/namespaces/${namespace}/secrets`, buildSecretObject(secret, from), token, ca);
    // 409 AlreadyExists: a Secret of that name is there; its values are not compared, it is kept.
    if (answer.status !== 201 && answer.status !== 409) throw new Error(refusal(answer, namespace, secret.name));
    target.onDone(secret.name, answer.status === 201 ? 'created' : 'kept');
  }
}

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** What a refused create says: the API's own message (a Status names the object, never its data). */
function refusal(answer: Answer, namespace: string, name: string): string {
  if (answer.status === 403)
    return `the pod's ServiceAccount may not create Secrets in namespace ${namespace}: give it a Role with the verb create on secrets there, and a RoleBinding`;
  return `the Kubernetes API refused to create the Secret ${name} in namespace ${namespace}: ${answer.status} ${statusMessage(answer.body)}`;
}

function statusMessage(body: string): string {
  try {
    const status = JSON.parse(body) as { message?: unknown };
    if (typeof status.message === 'string') return status.message;
  } catch {
    // Not a Status: a proxy's page, say. Its first line is enough.
  }
  return body.split('\n')[0]?.slice(0, 200) ?? '';
}

function postJson(url: string, body: unknown, token: string, ca: string): Promise<Answer> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const sent = request(url, {
      method: 'POST',
      ca,
      timeout: 30_000,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json',
        'content-length': Buffer.byteLength(payload),
      },
    });
    sent.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    sent.on('timeout', () => sent.destroy(new Error('no answer in 30 s')));
    sent.on('error', (error: Error) =>
      reject(new Error(`cannot reach the Kubernetes API at ${new URL(url).origin}: ${'code' in error ? String(error.code) : error.message}`)),
    );
    sent.end(payload);
  });
}
