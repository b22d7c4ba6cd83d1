import { createRequire } from 'node:module';
import type * as Http from 'node:http';

/**
 * `node:http`, loaded as CommonJS. An ES import of it, even of one name, makes Node evaluate
 * every export of the module to build its namespace, among them the lazy getters `WebSocket`,
 * `CloseEvent` and `MessageEvent`, which load undici (Node's fetch: 750 KiB of source, with its
 * compiled code) into a process that never uses it. Values of `node:http` come from here; an
 * `import type` of it is erased and costs nothing.
 */
export const nodeHttp: typeof Http = createRequire(import.meta.url)('node:http') as typeof Http;
