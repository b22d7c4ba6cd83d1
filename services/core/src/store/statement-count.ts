import { DatabaseSync, StatementSync } from 'node:sqlite';
import { Client } from 'pg';

/**
 * Every SQL statement `work` sends to either store's database, in order, for tests that hold a
 * command to its cost. Counted where the drivers meet the databases (node:sqlite's exec and
 * prepared statements, pg's Client.query, on which its pools run), so BEGIN and COMMIT count
 * too and a count is exact, unlike a timing. A query that pg sends as one simple query
 * (statements without parameters joined by `;`) is one round trip and counts once.
 * It patches the drivers' prototypes while `work` runs: nothing else may use a store meanwhile.
 */
export async function countStatements<T>(work: () => Promise<T>): Promise<{ result: T; statements: readonly string[] }> {
  const statements: string[] = [];
  const restore = [
    wrap(DatabaseSync.prototype, 'exec', (sql) => statements.push(String(sql))),
    ...(['run', 'get', 'all'] as const).map((method) =>
      wrap(StatementSync.prototype, method, function (this: unknown) {
        statements.push((this as StatementSync).sourceSQL);
      }),
    ),
    wrap(Client.prototype, 'query', (query) => statements.push(typeof query === 'string' ? query : JSON.stringify(query))),
  ];
  try {
    return { result: await work(), statements };
  } finally {
    for (const undo of restore) undo();
  }
}

type Method = (this: unknown, ...args: never[]) => unknown;

/** Calls `observe` before each call of `owner[name]`; returns what puts the method back. */
function wrap<O extends object, K extends keyof O & string>(owner: O, name: K, observe: (this: unknown, first: unknown) => void): () => void {
  const original = owner[name] as Method;
  const observed = function (this: unknown, ...args: never[]): unknown {
    observe.call(this, args[0]);
    return original.apply(this, args);
  };
  Object.assign(owner, { [name]: observed });
  return () => Object.assign(owner, { [name]: original });
}
