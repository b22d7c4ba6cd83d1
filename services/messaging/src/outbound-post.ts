import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { nodeHttp, type OutboundAddressPolicy } from '@hearth/core';

/*
 * One POST to an address a person chose (a bot's webhook, a browser's push service), made only
 * where the policy allows (outbound-address.ts). The check is made in the connection's own DNS lookup, so the address checked is the address connected to: a
 * name that resolves to a public address when checked and to 127.0.0.1 when connected (DNS
 * rebinding) gets no second lookup to play with. A name with any address the policy refuses is
 * refused whole. Redirects are not followed: a 3xx is the answer, like any non-2xx.
 */

export interface OutboundPost {
  readonly url: string;
  readonly body: string | Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
  /** Ends the attempt: its timeout, or the deliverer stopping. */
  readonly signal: AbortSignal;
  readonly policy: OutboundAddressPolicy;
  /** A longer answer is not read (its text is null). */
  readonly maxReplyBytes: number;
}

export interface OutboundAnswer {
  readonly status: number;
  readonly contentType: string | null;
  /** The answer's text, or null when it was longer than maxReplyBytes. */
  readonly text: string | null;
}

/** Thrown when the address is not one the server may connect to. */
export class RefusedAddressError extends Error {
  override readonly name = 'RefusedAddressError';
}

export async function postOutbound(request: OutboundPost): Promise<OutboundAnswer> {
  const url = new URL(request.url);
  const literal = url.hostname.replace(/^\[(.*)\]$/, '$1');
  // An IP address in the URL is connected to without a lookup, so it is checked here.
  if (isIP(literal) !== 0) {
    const refusal = request.policy.refusal(literal);
    if (refusal !== null) throw new RefusedAddressError(refusal);
  }
  const send = url.protocol === 'https:' ? httpsRequest : nodeHttp.request;
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const outgoing = send(url, { method: 'POST', headers: request.headers, signal: request.signal, lookup: guardedLookup(request.policy) }, resolve);
    outgoing.once('error', reject);
    outgoing.end(request.body);
  });
  const contentType = response.headers['content-type'] ?? null;
  return { status: response.statusCode ?? 0, contentType, text: await readCapped(response, request.maxReplyBytes) };
}

/** dns.lookup, refusing a name any of whose addresses the policy refuses. */
function guardedLookup(policy: OutboundAddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error !== null) return callback(error, '', 0);
      const refusal = addresses.map((entry) => policy.refusal(entry.address)).find((reason) => reason !== null);
      if (refusal !== undefined) return callback(new RefusedAddressError(`${hostname} resolves to ${refusal}`), '', 0);
      const first = addresses[0];
      if (options.all === true) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, addresses);
      return callback(null, first?.address ?? '', first?.family ?? 4);
    });
  };
}

/** The body as text, or null when it is longer than `maxBytes` (the rest is not read). */
async function readCapped(response: IncomingMessage, maxBytes: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response) {
    const buffer = chunk as Buffer;
    size += buffer.byteLength;
    if (size > maxBytes) {
      response.destroy();
      return null;
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
