import { ConfigError } from '../config.ts';

/**
 * How `hearth backup` and `hearth restore` reach an S3-compatible bucket, read from the
 * environment once (by the command, which passes its environment in): nothing here reads
 * process.env. Unset credentials leave the AWS SDK's own chain to find them (a web identity,
 * a profile, the instance's role).
 */
export interface S3Config {
  /** An S3-compatible server's URL (MinIO, SeaweedFS, Ceph…); undefined: AWS's endpoint for the region. */
  readonly endpoint: string | undefined;
  readonly region: string;
  /** Bucket in the path (`host/bucket/key`) rather than the host name, which most S3-compatible servers need. */
  readonly forcePathStyle: boolean;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string } | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

const set = (env: Env, key: string): string | undefined => {
  const value = env[key]?.trim();
  return value === undefined || value === '' ? undefined : value;
};

export function parseS3Config(env: Env): S3Config {
  const endpoint = set(env, 'HEARTH_S3_ENDPOINT');
  if (endpoint !== undefined && !/^https?:\/\/[^/]+/.test(endpoint))
    throw new ConfigError(`HEARTH_S3_ENDPOINT must be an http:// or https:// URL (got "${endpoint}")`);
  return Object.freeze({
    endpoint,
    region: set(env, 'HEARTH_S3_REGION') ?? set(env, 'AWS_REGION') ?? 'us-east-1',
    forcePathStyle: pathStyle(set(env, 'HEARTH_S3_FORCE_PATH_STYLE'), endpoint !== undefined),
    credentials: credentials(env),
  });
}

function pathStyle(value: string | undefined, byDefault: boolean): boolean {
  if (value === undefined) return byDefault;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new ConfigError(`HEARTH_S3_FORCE_PATH_STYLE must be true or false (got "${value}")`);
}

function credentials(env: Env): S3Config['credentials'] {
  const accessKeyId = set(env, 'AWS_ACCESS_KEY_ID');
  const secretAccessKey = set(env, 'AWS_SECRET_ACCESS_KEY');
  if (accessKeyId === undefined && secretAccessKey === undefined) return undefined;
  if (accessKeyId === undefined || secretAccessKey === undefined) {
    throw new ConfigError(`${accessKeyId === undefined ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY'} must be set with the other: give both, or neither`);
  }
  const sessionToken = set(env, 'AWS_SESSION_TOKEN');
  return sessionToken === undefined ? { accessKeyId, secretAccessKey } : { accessKeyId, secretAccessKey, sessionToken };
}
