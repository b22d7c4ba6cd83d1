import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { WEB_DIST } from './harness.ts';

/** Headless Chromium from Debian's package, driven by playwright-core, for the browser tests. */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // A person has clicked and typed in the page before a /play arrives; a test page has not.
  '--autoplay-policy=no-user-gesture-required',
];
export const UI_TIMEOUT_MS = 10_000;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** `make e2e` builds the UI first; a direct `node --test` run builds it when it is missing. */
export function ensureWebBuilt(): void {
  if (existsSync(path.join(WEB_DIST, 'index.html')) && existsSync(path.join(WEB_DIST, 'app.js'))) return;
  const build = spawnSync(process.execPath, [path.join(WEB_DIST, '../build.ts')], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`building the web UI failed:\n${build.stderr}`);
}
