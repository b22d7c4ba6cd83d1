import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { registerAuth } from './auth.ts';
import { registerMethodNotAllowed } from './method-not-allowed.ts';
import { recordOpenApiDocument } from './openapi-document.ts';
import type { GatewayDeps } from './deps.ts';
import { registerAdminAuditRoutes } from './routes/admin-audit.ts';
import { registerAdminBotRoutes } from './routes/admin-bots.ts';
import { registerAvatarRoutes } from './routes/avatars.ts';
import { registerDeviceRoutes } from './routes/devices.ts';
import { registerFileRoutes } from './routes/files.ts';
import { registerMessageRoutes } from './routes/messages.ts';
import { registerPushRoutes } from './routes/push.ts';
import { registerRoomRoutes } from './routes/rooms.ts';
import { registerSessionRoutes } from './routes/session.ts';
import { registerUserRoutes } from './routes/users.ts';

/**
 * The HTTP edge: REST API, sessions, the OpenAPI document and the web UI.
 * Registers onto an app built by the caller so `all` can share one server with realtime;
 * the caller's app turns errors into responses (one error handler for every target).
 */
export async function registerGateway(app: FastifyInstance, deps: GatewayDeps): Promise<void> {
  const openApiDocument = recordOpenApiDocument(app, deps.limits);
  await app.register(fastifyCookie);
  registerAuth(app, deps);
  registerMethodNotAllowed(app);
  registerSessionRoutes(app, deps);
  registerDeviceRoutes(app, deps);
  if (deps.auth.oidc !== null && deps.oidc !== null) {
    // Imported only with a provider configured: its routes load openid-client.
    const { registerOidcRoutes } = await import('./routes/oidc.ts');
    registerOidcRoutes(app, deps, { config: deps.auth.oidc, client: deps.oidc });
  }
  registerUserRoutes(app, deps);
  registerRoomRoutes(app, deps);
  registerMessageRoutes(app, deps);
  await registerFileRoutes(app, deps);
  await registerAvatarRoutes(app, deps);
  registerPushRoutes(app, deps);
  registerAdminBotRoutes(app, deps);
  registerAdminAuditRoutes(app, deps);
  app.get('/api/openapi.json', { schema: { hide: true } }, openApiDocument);
  await registerWeb(app, deps.webDir);
}

/** The service worker: a browser must fetch it anew at each page load, or a new build would wait for its HTTP cache. */
const SERVICE_WORKER = 'sw.js';

/** Serves the built UI, with index.html for every page path so client-side routes reload. */
async function registerWeb(app: FastifyInstance, webDir: string | null): Promise<void> {
  const index = webDir === null ? null : path.join(webDir, 'index.html');
  const hasWeb = index !== null && existsSync(index);
  if (hasWeb) {
    await app.register(fastifyStatic, {
      root: webDir as string,
      wildcard: false,
      index: false,
      setHeaders: (reply, filePath) => {
        if (path.basename(filePath) === SERVICE_WORKER) void reply.header('cache-control', 'no-cache');
      },
    });
  }
  app.setNotFoundHandler(async (request, reply) => {
    if (request.url.startsWith('/api/') || request.method !== 'GET') {
      return reply.code(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
    }
    if (!hasWeb) return reply.code(503).type('text/plain').send('The web UI is not built: run `make web` (make run does it).');
    return reply.type('text/html').sendFile('index.html');
  });
}
