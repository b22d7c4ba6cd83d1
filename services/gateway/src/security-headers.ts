import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

/*
 * The headers every response carries, HTML and API alike, from every target: a Content-Security-
 * Policy that allows no inline script and no framing, no MIME sniffing, no Referer (a join link
 * holds its code in the path), and HSTS when people reach Hearth over TLS.
 */

/** The CSP `'sha256-…'` source of an inline <style> (or script) text, for a page that needs one. */
export function cspHash(text: string): string {
  return `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
}

/**
 * The policy: everything from Hearth's own origin (the bundle, its stylesheet, the API, WebSocket
 * and SSE: CSP 3's 'self' covers ws:/wss: to the same host), data: images (the favicon), nothing
 * inline unless a page names its own style by hash.
 */
export function contentSecurityPolicy(styleHashes: readonly string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    `style-src ${["'self'", ...styleHashes].join(' ')}`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function securityHeaders(publicUrl: string): Record<string, string> {
  const headers: Record<string, string> = {
    'content-security-policy': contentSecurityPolicy(),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
  };
  // Only over TLS: a browser ignores HSTS on http://, and a local http:// Hearth must stay reachable.
  if (publicUrl.startsWith('https:')) headers['strict-transport-security'] = 'max-age=31536000';
  return headers;
}

/** Sets the headers first thing, so a route (the SSO error page) may still replace its CSP. */
export function registerSecurityHeaders(app: FastifyInstance, publicUrl: string): void {
  const headers = securityHeaders(publicUrl);
  app.addHook('onRequest', async (_request, reply) => {
    void reply.headers(headers);
  });
}
