import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { buildSerializerOnDemand } from './serializer-on-demand.ts';

describe('buildSerializerOnDemand', () => {
  it('serialises a route with a response schema as fastify does: fields the schema does not name are left out', async () => {
    const app = Fastify({ schemaController: { compilersFactory: { buildSerializer: buildSerializerOnDemand } } });
    const response = { 200: { type: 'object', properties: { id: { type: 'string' }, count: { type: 'integer' } } } };
    app.get('/thing', { schema: { response } }, async () => ({ id: 'a', count: 2, secret: 'not for the client' }));
    const reply = await app.inject({ method: 'GET', url: '/thing' });
    assert.equal(reply.statusCode, 200);
    assert.equal(reply.body, '{"id":"a","count":2}');
    await app.close();
  });

  it('leaves a route without one to JSON.stringify', async () => {
    const app = Fastify({ schemaController: { compilersFactory: { buildSerializer: buildSerializerOnDemand } } });
    app.get('/thing', async () => ({ id: 'a', extra: true }));
    const reply = await app.inject({ method: 'GET', url: '/thing' });
    assert.equal(reply.body, '{"id":"a","extra":true}');
    await app.close();
  });
});
