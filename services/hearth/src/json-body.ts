import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HearthError, illFormedTextError, invalid } from '@hearth/core';

/*
 * The JSON bodies every target reads, and the text rule (core's well-formed-text.ts) on them and
 * on every query and path: the same refusal, naming the field, in every tier. Fastify's own
 * parser decodes a body as UTF-8 whatever its charset says and turns invalid bytes into U+FFFD
 * without a word, so the bytes are decoded here, strictly, before its parser (which keeps its
 * guard against __proto__ and constructor poisoning) reads the text.
 */

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** The charset a Content-Type names, lower-cased and unquoted; undefined when it names none. */
export function charsetOf(contentType: string | undefined): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
  return match?.[1]?.toLowerCase();
}

/** The body's text, or the error that says why it cannot be read as UTF-8. */
export function bodyText(contentType: string | undefined, body: Buffer): string | HearthError {
  const charset = charsetOf(contentType);
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    return invalid('content-type', `the body is read as UTF-8 JSON only; send it as charset=utf-8 (or name no charset), not charset=${charset}`);
  }
  try {
    return strictUtf8.decode(body);
  } catch {
    return invalid('body', 'the request body is not valid UTF-8');
  }
}

export function registerJsonBody(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const text = bodyText(request.headers['content-type'], body as Buffer);
    if (text instanceof HearthError) return done(text, undefined);
    void parseJson(request, text, (error, value) => {
      const refusal = error === null ? illFormedTextError(value) : null;
      if (refusal !== null) done(refusal, undefined);
      else done(error, value);
    });
  });
  // Queries and paths reach the same stores; `%00` decodes to NUL.
  app.addHook('preValidation', async (request: FastifyRequest) => {
    const refusal = illFormedTextError(request.query, 'query') ?? illFormedTextError(request.params, 'path');
    if (refusal !== null) throw refusal;
  });
}
