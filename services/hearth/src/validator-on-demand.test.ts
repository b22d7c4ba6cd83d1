import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { startTestServer } from './test-server.ts';
import { buildValidatorOnDemand, compileWaitingValidators } from './validator-on-demand.ts';

/** With ajv's options as Hearth sets them (server.ts), which must reach the compiler: fastify's default removes additional properties. */
const appWithValidatorsOnDemand = () =>
  Fastify({ ajv: { customOptions: { removeAdditional: false } }, schemaController: { compilersFactory: { buildValidator: buildValidatorOnDemand } } });

describe('buildValidatorOnDemand', () => {
  it('validates as fastify does, with the app’s ajv options: a valid body passes, an invalid one is refused with ajv’s issues', async () => {
    const app = appWithValidatorsOnDemand();
    const body = { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1 } }, additionalProperties: false };
    app.post('/things', { schema: { body } }, async (request) => ({ got: request.body }));
    const ok = await app.inject({ method: 'POST', url: '/things', payload: { name: 'kettle' } });
    assert.deepEqual([ok.statusCode, ok.json()], [200, { got: { name: 'kettle' } }]);
    for (const [payload, issue] of [
      [{}, /must have required property 'name'/],
      [{ name: '' }, /must NOT have fewer than 1 characters/],
      [{ name: 'x', more: 1 }, /must NOT have additional properties/],
    ] as const) {
      const refused = await app.inject({ method: 'POST', url: '/things', payload });
      assert.equal(refused.statusCode, 400);
      assert.match(String(refused.json().message), issue);
    }
    await app.close();
  });

  it('compiles a schema when its route is first called, so one ajv refuses fails the route, and compileWaitingValidators, not the start', async () => {
    const app = appWithValidatorsOnDemand();
    app.post('/broken', { schema: { body: { type: 'no such type' } } }, async () => 'never');
    await app.ready();
    assert.throws(() => compileWaitingValidators(), /no such type|schema is invalid/);
    const reply = await app.inject({ method: 'POST', url: '/broken', payload: {} });
    assert.equal(reply.statusCode, 500);
    await app.close();
  });

  it('every schema of every Hearth route compiles', async () => {
    const server = await startTestServer();
    try {
      await server.app.ready();
      assert.doesNotThrow(() => compileWaitingValidators());
    } finally {
      await server.stop();
    }
  });
});
