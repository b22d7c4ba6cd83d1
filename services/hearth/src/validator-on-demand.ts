import { createRequire } from 'node:module';
import type { FastifySchemaCompiler, FastifyServerOptions } from 'fastify';

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
type ValidatorFactory = NonNullable<CompilersFactory['buildValidator']>;
/**
 * What a validator factory is when fastify calls it: @fastify/ajv-compiler's declaration has
 * the compiler take ajv's (schema, meta), where fastify gives it the route's schema definition.
 */
type RouteCompilerFactory = (externalSchemas: unknown, options: unknown) => FastifySchemaCompiler<unknown>;
type Validator = ReturnType<FastifySchemaCompiler<unknown>>;

/** The validators made but not yet compiled, each as what compiles it. */
const waiting = new Set<() => void>();

/**
 * Fastify's own validator compiler (ajv, with the app's options), each route's validator compiled
 * the first time the route is called instead of every route's while the app starts: compiling
 * them all was about 90 ms of an embedded start of 330 ms. A schema ajv refuses would fail its
 * route's first requests instead of the start, so the tests compile every route's schemas
 * (compileWaitingValidators) and such a schema fails them first. Required from fastify's own
 * location, since it is fastify's dependency and not ours.
 */
const onDemand: RouteCompilerFactory = (externalSchemas, options) => {
  // ajv itself too is made when the first validator is needed: its instance, with its formats, is a cost of its own.
  let compile: FastifySchemaCompiler<unknown> | undefined;
  const compiler = (): FastifySchemaCompiler<unknown> => {
    const requireAsFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
    const selectCompiler = requireAsFastify('@fastify/ajv-compiler') as () => RouteCompilerFactory;
    compile ??= selectCompiler()(externalSchemas, options);
    return compile;
  };
  return (route) => {
    let compiled: Validator | undefined;
    const ensure = (): Validator => {
      waiting.delete(ensure);
      compiled ??= compiler()(route);
      return compiled;
    };
    waiting.add(ensure);
    // Fastify reads a failed validation's issues from the validator's `errors`, as ajv leaves them.
    const validate: Validator = (data: unknown) => {
      const inner = ensure();
      const result = inner(data);
      validate.errors = inner.errors ?? null;
      return result;
    };
    return validate;
  };
};

export const buildValidatorOnDemand = onDemand as unknown as ValidatorFactory;

/** Compiles every validator made and not yet used; throws what ajv throws for a schema it refuses. */
export function compileWaitingValidators(): void {
  for (const ensure of [...waiting]) ensure();
}
