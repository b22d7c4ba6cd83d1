import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

type SerializerFactory = NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildSerializer']>;

/**
 * Fastify's own response serializer compiler, loaded the first time a route needs one. Fastify
 * loads it (fast-json-stringify with its ajv and ajv-formats, about 40 ms of a start) when an app
 * is made; Hearth's routes declare no response schema (gateway/src/responses.ts says why), so it
 * is loaded only if that changes, and then it behaves as fastify's default. It is required from
 * fastify's own location, since it is fastify's dependency and not ours.
 */
export const buildSerializerOnDemand: SerializerFactory = (externalSchemas, options) => {
  const requireAsFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
  const selectSerializer = requireAsFastify('@fastify/fast-json-stringify-compiler') as () => SerializerFactory;
  return selectSerializer()(externalSchemas, options);
};
