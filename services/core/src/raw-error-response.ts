import type { HearthError } from './errors.ts';
import { nodeHttp } from './node-http.ts';

const { STATUS_CODES } = nodeHttp;

/**
 * An error as a whole HTTP/1.1 response, for a socket no framework answers on: a refused
 * WebSocket upgrade, a request Node could not parse, a connection over its address's cap. The
 * error shape and Retry-After as every other answer has them; the connection is closed after it.
 */
export function rawErrorResponse(error: HearthError): string {
  const body = JSON.stringify(error.toJSON());
  const retryAfter = error.retryAfterSeconds === undefined ? '' : `Retry-After: ${error.retryAfterSeconds}\r\n`;
  return (
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? ''}\r\n` +
    `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${retryAfter}Connection: close\r\n\r\n${body}`
  );
}
