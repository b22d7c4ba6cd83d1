import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { HearthError } from '@hearth/core';
import { ssoErrorPage, ssoErrorPagePolicy } from './error-page.ts';

describe('the SSO error page', () => {
  it('allows exactly its own <style> by hash, and no inline script', () => {
    const page = ssoErrorPage(new HearthError('sso_refused', 'the state did not match'));
    const style = /<style>(.*)<\/style>/s.exec(page)?.[1] ?? '';
    const hash = createHash('sha256').update(style).digest('base64');
    assert.match(ssoErrorPagePolicy, new RegExp(`style-src 'self' 'sha256-${hash.replace(/[+/]/g, '\\$&')}'`));
    assert.match(ssoErrorPagePolicy, /script-src 'self'(;|$)/);
    assert.doesNotMatch(page, /<script/);
  });
});
