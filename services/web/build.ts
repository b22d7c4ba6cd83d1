/// <reference types="node" />
/**
 * Bundles the browser UI into dist/: app.js (+ source map) from src/main.tsx; index.html and
 * styles.css copied as they are; what installing it needs (manifest.webmanifest and icons/,
 * drawn here from styles.css's colours); and sw.js, the service worker, built last with the
 * hash of the app shell it caches. Run from anywhere:
 *   node services/web/build.ts            (or: npm run build -w @hearth/web)
 *   node services/web/build.ts --watch    (rebuilds on change)
 */
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { drawIcon, iconSvg } from './build/app-icon.ts';
import { encodePng } from './build/png.ts';
import { buildManifest, iconColours, ICONS, shellVersion } from './build/web-manifest.ts';
import { SHELL_FILES } from './src/shell-cache.ts';

const root = dirname(fileURLToPath(import.meta.url));
const src = join(root, 'src');
const dist = join(root, 'dist');
const watch = process.argv.includes('--watch');

const STATIC_FILES = ['index.html', 'styles.css'] as const;

async function copyStatic(): Promise<void> {
  await Promise.all(STATIC_FILES.map((file) => copyFile(join(src, file), join(dist, file))));
}

/** The manifest and its icons, in the colours styles.css has now. */
async function writeInstallFiles(): Promise<void> {
  const css = await readFile(join(src, 'styles.css'), 'utf8');
  const colours = iconColours(css);
  await mkdir(join(dist, 'icons'), { recursive: true });
  await Promise.all([
    writeFile(join(dist, 'manifest.webmanifest'), `${JSON.stringify(buildManifest(css), null, 2)}\n`),
    writeFile(join(dist, ICONS.png192), encodePng(192, 192, drawIcon(192, colours))),
    writeFile(join(dist, ICONS.png512), encodePng(512, 512, drawIcon(512, colours))),
    writeFile(join(dist, ICONS.svg), iconSvg(colours)),
  ]);
}

/** After everything else: its cache is named by the hash of the shell files as built. */
async function buildServiceWorker(): Promise<void> {
  const files = await Promise.all(SHELL_FILES.map(async (path) => ({ path, bytes: await readFile(join(dist, path)) })));
  await esbuild.build({
    entryPoints: [join(src, 'service-worker.ts')],
    outfile: join(dist, 'sw.js'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    logLevel: 'info',
    define: { HEARTH_SHELL_VERSION: JSON.stringify(shellVersion(files)) },
  });
}

async function finish(): Promise<void> {
  await copyStatic();
  await writeInstallFiles();
  await buildServiceWorker();
}

const options: esbuild.BuildOptions = {
  entryPoints: [join(src, 'main.tsx')],
  outfile: join(dist, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  logLevel: 'info',
  metafile: true,
};

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });

if (watch) {
  // The worker is rebuilt with each bundle, so its cache name follows the new build.
  const context = await esbuild.context({
    ...options,
    plugins: [{ name: 'finish', setup: (build) => build.onEnd(() => finish()) }],
  });
  await context.watch();
} else {
  const result = await esbuild.build(options);
  if (result.errors.length > 0) process.exit(1);
  await finish();
}
