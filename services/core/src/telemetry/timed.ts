/** Where a timed call's duration goes: an operation name (the method) and its seconds. */
export type RecordDuration = (operation: string, seconds: number) => void;

/**
 * The same object with each of its asynchronous methods timed: the duration from call to
 * settlement is recorded under the method's name. One wrapper serves the Store, the Bus and
 * Ephemeral, whatever their implementation, so no backend carries its own timing code.
 * Methods are called on the target itself (its private fields need that); synchronous results
 * pass through untimed.
 */
export function timed<T extends object>(target: T, record: RecordDuration, only?: ReadonlySet<string>): T {
  const wrappers = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      let wrapper = wrappers.get(property);
      if (wrapper === undefined) {
        const method = value as (...args: unknown[]) => unknown;
        const isTimed = typeof property === 'string' && (only === undefined || only.has(property));
        wrapper = !isTimed
          ? method.bind(object)
          : (...args: unknown[]): unknown => {
              const started = performance.now();
              const result = method.apply(object, args);
              if (!(result instanceof Promise)) return result;
              const done = (): void => record(property, (performance.now() - started) / 1_000);
              result.then(done, done);
              return result;
            };
        wrappers.set(property, wrapper);
      }
      return wrapper;
    },
  });
}
