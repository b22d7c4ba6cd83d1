import type { FastifyInstance } from 'fastify';
import { HearthError } from '@hearth/core';
import { requireAdministrator } from '../auth.ts';
import { createBotToken } from '../bot-tokens.ts';
import type { GatewayDeps } from '../deps.ts';
import { commandMeta } from '../origin.ts';
import { botCreateBody, botParams, botTokenCreateBody, botTokenParams } from '../schemas.ts';

type BotCreateBody = { name: string; webhookUrl?: string | null; roomIds?: string[] };
type TokenCreateBody = { name: string; roomIds: string[] };

/** Bots and their API tokens, for administrators (docs/protocol.md, "Bots and webhooks"). */
export function registerAdminBotRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  const { store, commands } = deps;

  async function requireBot(botId: string): Promise<void> {
    if ((await store.getBot(botId)) === null) throw new HearthError('not_found', `no bot ${botId}`, { field: 'botId' });
  }

  app.post<{ Body: BotCreateBody }>('/api/admin/bots', { schema: { body: botCreateBody } }, async (request, reply) => {
    const admin = requireAdministrator(request);
    const { name, webhookUrl = null, roomIds = [] } = request.body;
    // The answer holds the bot's webhook signing secret: the one time it is shown, besides a rotation.
    const bot = await commands.send('bot.create', { actorId: admin.id, name, webhookUrl, roomIds }, commandMeta(request));
    return reply.code(201).header('cache-control', 'no-store').send(bot);
  });

  app.get('/api/admin/bots', async (request) => {
    requireAdministrator(request);
    return { bots: await store.listBots() };
  });

  app.post<{ Params: { botId: string }; Body: TokenCreateBody }>(
    '/api/admin/bots/:botId/tokens',
    { schema: { params: botParams, body: botTokenCreateBody } },
    async (request, reply) => {
      const admin = requireAdministrator(request);
      // Made here so the secret never crosses the bus; only its hash is sent and stored.
      const { tokenId, token, secretHash } = createBotToken();
      const created = await commands.send(
        'bot.token.create',
        { actorId: admin.id, botId: request.params.botId, tokenId, secretHash, name: request.body.name, roomIds: request.body.roomIds },
        commandMeta(request),
      );
      // The one time the token is shown: afterwards only its id and name are.
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ ...created, token });
    },
  );

  app.get<{ Params: { botId: string } }>('/api/admin/bots/:botId/tokens', { schema: { params: botParams } }, async (request) => {
    requireAdministrator(request);
    await requireBot(request.params.botId);
    return { tokens: await store.listApiTokens(request.params.botId) };
  });

  app.post<{ Params: { botId: string } }>('/api/admin/bots/:botId/webhook-secret', { schema: { params: botParams } }, async (request, reply) => {
    const admin = requireAdministrator(request);
    const rotated = await commands.send('bot.rotateWebhookSecret', { actorId: admin.id, botId: request.params.botId }, commandMeta(request));
    // The one time the new secret is shown.
    return reply.header('cache-control', 'no-store').send(rotated);
  });

  app.delete<{ Params: { botId: string; tokenId: string } }>(
    '/api/admin/bots/:botId/tokens/:tokenId',
    { schema: { params: botTokenParams } },
    async (request) => {
      const admin = requireAdministrator(request);
      return commands.send('bot.token.revoke', { actorId: admin.id, botId: request.params.botId, tokenId: request.params.tokenId }, commandMeta(request));
    },
  );
}
