import type { FastifyInstance, RouteOptions } from 'fastify';
import { COMPONENT_SCHEMAS, documentOperations, type DocumentedLimits } from './responses.ts';

/** What @fastify/swagger reads of a route (its onRoute hook keeps these and nothing else). */
type RouteDoc = Pick<RouteOptions, 'method' | 'url' | 'schema' | 'config' | 'constraints'>;

/**
 * /api/openapi.json's document, built on its first request. @fastify/swagger loads yaml and a
 * JSON-schema resolver (about 110 modules, 4 MiB of heap) when it is registered, for a document
 * that few servers are ever asked for. So this records the routes `app` adds from now on, as
 * @fastify/swagger's own hook would, and the returned function hands them to it, on an app of its
 * own that validates nothing, the first time it is called: the same plugin, options and routes
 * make the same document.
 */
export function recordOpenApiDocument(app: FastifyInstance, limits: DocumentedLimits): () => Promise<unknown> {
  const routes: RouteDoc[] = [];
  app.addHook('onRoute', (route) => {
    // Fastify adds a HEAD route beside each GET; the scratch app adds its own, and the document has neither.
    if (route.method !== 'HEAD') routes.push(routeDocOf(route));
  });
  let document: Promise<unknown> | undefined;
  return () => {
    document ??= buildOpenApiDocument(routes, limits).catch((error: unknown) => {
      document = undefined;
      throw error;
    });
    return document;
  };
}

function routeDocOf({ method, url, schema, config, constraints }: RouteOptions): RouteDoc {
  return {
    method,
    url,
    ...(schema === undefined ? {} : { schema }),
    ...(config === undefined ? {} : { config }),
    ...(constraints === undefined ? {} : { constraints }),
  };
}

async function buildOpenApiDocument(routes: readonly RouteDoc[], limits: DocumentedLimits): Promise<unknown> {
  const [{ default: Fastify }, { default: fastifySwagger }] = await Promise.all([import('fastify'), import('@fastify/swagger')]);
  const scratch = Fastify();
  // Its routes are never called: their schemas are read, not compiled.
  scratch.setValidatorCompiler(() => () => true);
  await scratch.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Hearth API', version: '0.1.0', description: 'See docs/protocol.md for sessions, CSRF, errors and the realtime stream.' },
      components: { schemas: COMPONENT_SCHEMAS },
    },
    // Responses are documented here, not serialised with (responses.ts says why).
    transform: documentOperations(limits),
  });
  for (const route of routes) scratch.route({ ...route, handler: async () => null });
  await scratch.ready();
  const document = scratch.swagger();
  await scratch.close();
  return document;
}
