import { auditQueries } from './audit-queries.ts';
import { botQueries } from './bot-queries.ts';
import { eventQueries } from './event-queries.ts';
import { messageQueries } from './message-queries.ts';
import { postQueries } from './post-queries.ts';
import { pushQueries } from './push-queries.ts';
import { roomQueries } from './room-queries.ts';
import type { Conn, QueryContext } from './sql-conn.ts';
import type { StoreTx } from './store.ts';
import { userQueries } from './user-queries.ts';

/** Every query, once for both dialects; typed StoreTx, so one missing from the tables fails to compile. */
const QUERIES: StoreTx = { ...userQueries, ...roomQueries, ...messageQueries, ...postQueries, ...eventQueries, ...auditQueries, ...botQueries, ...pushQueries };

/**
 * The queries on `sql`: a transaction's `tx`, or the reader behind a Store's own reads. The
 * methods are shared through the prototype, so a transaction costs one small object.
 */
export function createSqlTx(sql: Conn): StoreTx {
  const tx = Object.create(QUERIES) as { sql: Conn } & QueryContext;
  tx.sql = sql;
  return tx;
}
