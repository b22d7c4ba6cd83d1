import { enableCompileCache } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The entry point of the `hearth` command (cli/hearth-command.ts).
 *
 * Node strips the types of each .ts module it loads with a WebAssembly parser (about 17 MiB
 * resident once loaded) and then compiles it. The compile cache keeps both results on disk
 * (NODE_COMPILE_CACHE, else os.tmpdir()/node-compile-cache; /tmp is writable in a pod), so a
 * later start neither strips nor compiles the other modules again. It is turned on here before
 * anything else is imported, which is why this file imports nothing else statically; this file
 * itself comes from the cache only when NODE_COMPILE_CACHE is set as Node starts (the image sets
 * it), and then the parser is not loaded at all. If the directory cannot be written, the cache
 * is off and nothing else changes.
 */
enableCompileCache();

const here = path.dirname(fileURLToPath(import.meta.url));
const DEFAULT_WEB_DIR = path.resolve(here, '../../web/dist');

const { runHearthCommand } = await import('./cli/hearth-command.ts');

runHearthCommand(process.argv.slice(2), DEFAULT_WEB_DIR).catch((error: unknown) => {
  if (error instanceof Error && error.name === 'AbortError') return;
  process.stderr.write(`hearth: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
