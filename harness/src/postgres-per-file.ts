import { after, before } from 'node:test';
import { startPostgres } from './postgres.ts';

/**
 * One PostgreSQL for the tests of a file: started before them, stopped after. Each call of the
 * function it returns creates a fresh database (`<prefix>0`, `<prefix>1`, …) and gives its URL.
 */
export function postgresPerFile(prefix: string): () => Promise<string> {
  let server: Awaited<ReturnType<typeof startPostgres>> | undefined;
  let databases = 0;
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
  });
  return () => {
    if (server === undefined) throw new Error('postgresPerFile: a database was asked for before the server started');
    return server.createDatabase(`${prefix}${databases++}`);
  };
}
