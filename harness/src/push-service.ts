import { createDecipheriv, createECDH, createPublicKey, hkdfSync, randomBytes, randomUUID, verify, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { removeDir, tempDir } from './process.ts';
import { makeLoopbackTls } from './tls.ts';

/**
 * A Web Push service on loopback, standing in for the browsers' (FCM, Mozilla's autopush), which
 * cannot be reached here. It does what they do to a sender's request, and what the browser does
 * with the message: checks the VAPID signature (RFC 8292: an ES256 JWT for this origin, not
 * expired, with a contact, signed by the key in `k=`), then decrypts the payload with the
 * subscription's private key (RFC 8291 over RFC 8188 aes128gcm). A request that fails a check is
 * answered 401 or 400 and kept in `refused` with the reason, so a test can say what was wrong.
 */

/** What a browser's PushSubscription.toJSON() holds, for the server to keep. */
export interface BrowserSubscription {
  readonly endpoint: string;
  readonly expirationTime: null;
  readonly keys: { readonly p256dh: string; readonly auth: string };
}

export interface ReceivedPush {
  readonly endpoint: string;
  /** The server's VAPID public key (base64url), as `k=` gave it: the key the signature was checked with. */
  readonly vapidKey: string;
  readonly claims: { readonly aud: string; readonly exp: number; readonly sub: string };
  readonly ttl: number;
  readonly urgency: string | null;
  /** The payload, decrypted. */
  readonly text: string;
}

export interface PushService {
  /** A new subscription, as a browser makes one, at an endpoint of this service. */
  subscribe(): BrowserSubscription;
  /** From now on, answer pushes to this endpoint with `status` (410: the browser unsubscribed). */
  answer(endpoint: string, status: number): void;
  /** Every push delivered, in order. */
  readonly received: ReceivedPush[];
  /** Every request refused, with why. */
  readonly refused: { readonly endpoint: string; readonly reason: string }[];
  /** The push delivered after the first `seen`, waited for; fails at a refused request or after `timeoutMs`. */
  nextAfter(seen: number, timeoutMs?: number): Promise<ReceivedPush>;
  /** The CA that signed this service's certificate (PEM), and its file (for NODE_EXTRA_CA_CERTS): the sender must trust it. */
  readonly caCert: string;
  readonly caPath: string;
  readonly origin: string;
  close(): Promise<void>;
}

interface Subscriber {
  readonly ecdh: ReturnType<typeof createECDH>;
  readonly auth: Buffer;
  status: number;
}

/** A request's refusal: its status and why. */
class Refusal extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export async function startPushService(): Promise<PushService> {
  const dir = await tempDir('hearth-push-');
  const tls = await makeLoopbackTls(dir, 'push-service');
  const subscribers = new Map<string, Subscriber>();
  const received: ReceivedPush[] = [];
  const refused: { endpoint: string; reason: string }[] = [];
  let origin = '';

  const server: Server = createServer({ cert: await readFile(tls.certPath), key: await readFile(tls.keyPath) }, (request, response) => {
    void readBody(request).then((body) => {
      const endpoint = `${origin}${request.url ?? ''}`;
      const subscriber = subscribers.get(endpoint);
      try {
        if (request.method !== 'POST') throw new Refusal(405, `a push is a POST, not a ${request.method}`);
        if (subscriber === undefined) throw new Refusal(404, 'no such subscription');
        if (subscriber.status === 201) received.push({ endpoint, ...checkPush(request, body, subscriber, origin) });
        response.writeHead(subscriber.status).end();
      } catch (error) {
        const status = error instanceof Refusal ? error.status : 400;
        refused.push({ endpoint, reason: error instanceof Error ? error.message : String(error) });
        response.writeHead(status, { 'content-type': 'text/plain' }).end(error instanceof Error ? error.message : '');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  origin = `https://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;

  return {
    subscribe() {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = randomBytes(16);
      const endpoint = `${origin}/push/${randomUUID()}`;
      subscribers.set(endpoint, { ecdh, auth, status: 201 });
      return { endpoint, expirationTime: null, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') } };
    },
    answer(endpoint, status) {
      const subscriber = subscribers.get(endpoint);
      if (subscriber === undefined) throw new Error(`no subscription at ${endpoint}`);
      subscriber.status = status;
    },
    received,
    refused,
    async nextAfter(seen, timeoutMs = 15_000) {
      for (const deadline = Date.now() + timeoutMs; received.length <= seen; await sleep(20)) {
        if (refused.length > 0) throw new Error(`the push service refused a push: ${JSON.stringify(refused)}`);
        if (Date.now() > deadline) throw new Error(`no push after the first ${seen} within ${timeoutMs} ms`);
      }
      return received[seen] as ReceivedPush;
    },
    caCert: tls.caCert,
    caPath: tls.caPath,
    origin,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await removeDir(dir);
    },
  };
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function checkPush(request: IncomingMessage, body: Buffer, subscriber: Subscriber, origin: string): Omit<ReceivedPush, 'endpoint'> {
  const { vapidKey, claims } = checkVapid(request.headers.authorization ?? '', origin);
  if (request.headers['content-encoding'] !== 'aes128gcm') throw new Refusal(400, `Content-Encoding is ${request.headers['content-encoding']}, not aes128gcm`);
  const ttl = Number(request.headers.ttl);
  if (!Number.isInteger(ttl) || ttl < 0) throw new Refusal(400, 'the TTL header is missing or not a whole number of seconds');
  const urgency = typeof request.headers.urgency === 'string' ? request.headers.urgency : null;
  return { vapidKey, claims, ttl, urgency, text: decrypt(body, subscriber).toString('utf8') };
}

/** RFC 8292: `Authorization: vapid t=<JWT>, k=<public key>`; the JWT ES256-signed by that key, for this origin, unexpired, with a contact. */
function checkVapid(authorization: string, origin: string): { vapidKey: string; claims: ReceivedPush['claims'] } {
  const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization);
  if (match === null) throw new Refusal(401, `the Authorization header is not "vapid t=…, k=…": ${authorization.slice(0, 40)}`);
  const [, jwt = '', vapidKey = ''] = match;
  const [header = '', payload = '', signature = ''] = jwt.split('.');
  const head = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: string };
  if (head.alg !== 'ES256') throw new Refusal(401, `the JWT is signed with ${head.alg}, not ES256`);
  const signed = verify(
    'sha256',
    Buffer.from(`${header}.${payload}`),
    { key: p256Key(vapidKey), dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature, 'base64url'),
  );
  if (!signed) throw new Refusal(401, 'the JWT signature does not verify with the key in k=');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as ReceivedPush['claims'];
  checkClaims(claims, origin);
  return { vapidKey, claims };
}

/** A P-256 public key from its uncompressed point (base64url), as `k=` carries it. */
function p256Key(base64url: string): KeyObject {
  const point = Buffer.from(base64url, 'base64url');
  if (point.byteLength !== 65 || point[0] !== 4) throw new Refusal(401, 'k= is not an uncompressed P-256 public key');
  const jwk = { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') };
  return createPublicKey({ key: jwk, format: 'jwk' });
}

function checkClaims(claims: ReceivedPush['claims'], origin: string): void {
  const now = Date.now() / 1000;
  if (claims.aud !== origin) throw new Refusal(401, `the JWT is for ${claims.aud}, not ${origin}`);
  if (!(claims.exp > now && claims.exp <= now + 24 * 60 * 60)) throw new Refusal(401, `the JWT expires at ${claims.exp}: not within the next 24 hours`);
  if (!/^(mailto:|https:)/.test(claims.sub)) throw new Refusal(401, `the JWT's subject ${claims.sub} is not a mailto: or https: contact`);
}

/**
 * RFC 8188's one-record aes128gcm body: salt (16), record size (4), key id length (1), key id (the
 * sender's ephemeral P-256 key, 65), then the ciphertext. RFC 8291 derives its input key from the
 * ECDH secret and the subscription's auth secret.
 */
function decrypt(body: Buffer, subscriber: Subscriber): Buffer {
  if (body.byteLength < 21 + 65 + 17) throw new Refusal(400, `the body (${body.byteLength} bytes) is too short to be aes128gcm`);
  const salt = body.subarray(0, 16);
  const idLength = body.readUInt8(20);
  if (idLength !== 65) throw new Refusal(400, `the key id is ${idLength} bytes, not a P-256 public key's 65`);
  const senderKey = body.subarray(21, 21 + 65);
  const ciphertext = body.subarray(21 + 65);
  const secret = subscriber.ecdh.computeSecret(senderKey);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), subscriber.ecdh.getPublicKey(), senderKey]);
  const ikm = Buffer.from(hkdfSync('sha256', secret, subscriber.auth, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(-16));
  let plain: Buffer;
  try {
    plain = Buffer.concat([decipher.update(ciphertext.subarray(0, -16)), decipher.final()]);
  } catch {
    throw new Refusal(400, 'the body does not decrypt with the subscription keys');
  }
  // The last record ends in a 2 delimiter, then any zero padding.
  const end = plain.findLastIndex((byte) => byte !== 0);
  if (plain[end] !== 2) throw new Refusal(400, 'the record does not end with the last-record delimiter');
  return plain.subarray(0, end);
}
