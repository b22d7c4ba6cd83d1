/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildManifest, cssVariable, iconColours, shellVersion } from './web-manifest.ts';

const CSS = ':root {\n  --bg: #fbfaf8;\n  --accent: #c2410c;\n  --accent-text: #fff;\n}\n@media (prefers-color-scheme: dark) { :root { --bg: #1b1a18; } }';

test("a variable is read from the stylesheet's first rule, the light theme; a missing one is named", () => {
  assert.equal(cssVariable(CSS, 'bg'), '#fbfaf8');
  assert.equal(cssVariable(CSS, 'accent'), '#c2410c');
  assert.throws(() => cssVariable(CSS, 'panel'), /styles.css sets no --panel/);
});

test("the manifest: Hearth, standalone from /, in styles.css's colours, with 192 and 512 PNG icons, a maskable one and an SVG", () => {
  const manifest = buildManifest(CSS);
  assert.equal(manifest['name'], 'Hearth');
  assert.equal(manifest['start_url'], '/');
  assert.equal(manifest['display'], 'standalone');
  assert.equal(manifest['theme_color'], '#c2410c');
  assert.equal(manifest['background_color'], '#fbfaf8');
  const icons = manifest['icons'] as { sizes: string; type: string; purpose: string }[];
  assert.deepEqual(
    icons.map((i) => `${i.sizes} ${i.type} ${i.purpose}`),
    ['192x192 image/png any', '512x512 image/png any', '512x512 image/png maskable', 'any image/svg+xml any'],
  );
  assert.deepEqual(iconColours(CSS), { background: '#c2410c', flame: '#fff', core: '#c2410c' });
});

test('the real styles.css has every colour the manifest and icons need', () => {
  const css = readFileSync(new URL('../src/styles.css', import.meta.url), 'utf8');
  assert.doesNotThrow(() => buildManifest(css));
  assert.doesNotThrow(() => iconColours(css));
});

test('the shell version changes with any byte or path of the shell, and only then', () => {
  const files = [
    { path: '/app.js', bytes: Buffer.from('a') },
    { path: '/styles.css', bytes: Buffer.from('b') },
  ];
  const version = shellVersion(files);
  assert.match(version, /^[0-9a-f]{16}$/);
  assert.equal(shellVersion(files.map((f) => ({ ...f }))), version);
  assert.notEqual(shellVersion([files[0]!, { path: '/styles.css', bytes: Buffer.from('c') }]), version);
  assert.notEqual(
    shellVersion([
      { path: '/app.js', bytes: Buffer.from('ab') },
      { path: '/styles.css', bytes: Buffer.from('') },
    ]),
    version,
  );
});
