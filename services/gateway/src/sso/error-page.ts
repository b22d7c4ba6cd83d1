import type { HearthError } from '@hearth/core';
import { contentSecurityPolicy, cspHash } from '../security-headers.ts';

const TITLES: Partial<Record<HearthError['code'], string>> = {
  sso_refused: 'Sign-in was refused',
  sso_forbidden: 'You cannot sign in to Hearth',
  sso_unavailable: 'Your identity provider cannot be reached',
};

const STYLE = 'body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}code{background:#f3f3f3;padding:0 .25rem}';

/** The page's Content-Security-Policy: the global one, with the page's own <style> allowed by its hash. */
export const ssoErrorPagePolicy = contentSecurityPolicy([cspHash(STYLE)]);

/**
 * The page a browser lands on when a sign-in through the provider fails: people arrive
 * here by redirect, so they get a readable page (with the error code for their admin), not JSON.
 */
export function ssoErrorPage(error: HearthError): string {
  const title = TITLES[error.code] ?? 'Sign-in failed';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Hearth</title>
<style>${STYLE}</style>
</head><body>
<h1>${escapeHtml(title)}</h1>
<p id="sso-error-message">${escapeHtml(error.publicMessage)}</p>
<p>Error code: <code id="sso-error-code">${escapeHtml(error.code)}</code>. No session was started.</p>
<p><a href="/">Back to Hearth</a></p>
</body></html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
