/// <reference types="node" />
/**
 * Bundles the browser UI into dist/: app.js (+ source map) from src/main.tsx, and
 * index.html and styles.css copied as they are. Run from anywhere:
 *   node services/web/build.ts            (or: npm run build -w @hearth/web)
 *   node services/web/build.ts --watch    (rebuilds on change)
 */
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = dirname(fileURLToPath(import.meta.url));
const src = join(root, 'src');
const dist = join(root, 'dist');
const watch = process.argv.includes('--watch');

const STATIC_FILES = ['index.html', 'styles.css'] as const;

async function copyStatic(): Promise<void> {
  await Promise.all(STATIC_FILES.map((file) => copyFile(join(src, file), join(dist, file))));
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
await copyStatic();

if (watch) {
  const context = await esbuild.context({
    ...options,
    plugins: [{ name: 'copy-static', setup: (build) => build.onEnd(() => copyStatic()) }],
  });
  await context.watch();
} else {
  const result = await esbuild.build(options);
  if (result.errors.length > 0) process.exit(1);
}
