import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { HearthError, type AuditEntry, type Store } from '@hearth/core';
import { requireAdministrator } from '../auth.ts';
import type { GatewayDeps } from '../deps.ts';
import { AUDIT_PAGE, auditQuery } from '../schemas.ts';

/** Entries read from the store per page of the export: memory stays flat however long the log is. */
const EXPORT_PAGE = 500;

/** An audit entry as the API shows it: with the actor's name, when the actor is a user that still exists. */
export interface AuditEntryView extends AuditEntry {
  readonly actorName: string | null;
}

/** Looks up actors' names once each (per request): a page usually names a handful of people. */
function createNameResolver(store: Store): (entries: readonly AuditEntry[]) => Promise<AuditEntryView[]> {
  const names = new Map<string, string | null>();
  return async (entries) => {
    for (const { actorId } of entries) {
      if (actorId !== null && !names.has(actorId)) names.set(actorId, (await store.getUser(actorId))?.name ?? null);
    }
    return entries.map((entry) => ({ ...entry, actorName: entry.actorId === null ? null : (names.get(entry.actorId) ?? null) }));
  };
}

export function auditPageOf(query: { before?: string; limit?: string }): { before?: number; limit: number } {
  const limit = query.limit === undefined ? AUDIT_PAGE.default : Number(query.limit);
  if (limit < 1 || limit > AUDIT_PAGE.max) throw new HearthError('invalid_request', `limit must be from 1 to ${AUDIT_PAGE.max}`, { field: 'limit' });
  return { limit, ...(query.before === undefined ? {} : { before: Number(query.before) }) };
}

/** Every entry, oldest first, one JSON object per line, read from the store a page at a time. */
async function* exportLines(store: Store): AsyncGenerator<string> {
  const withNames = createNameResolver(store);
  let after = 0;
  for (;;) {
    const page = await store.listAudit({ after, limit: EXPORT_PAGE });
    if (page.length === 0) return;
    yield (await withNames(page)).map((entry) => `${JSON.stringify(entry)}\n`).join('');
    after = page.at(-1)?.id ?? after;
    if (page.length < EXPORT_PAGE) return;
  }
}

/** The audit log, for administrators: paged backwards for reading, and whole as JSON lines for keeping. */
export function registerAdminAuditRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  const { store } = deps;

  app.get<{ Querystring: { before?: string; limit?: string } }>('/api/admin/audit', { schema: { querystring: auditQuery } }, async (request) => {
    requireAdministrator(request);
    const page = auditPageOf(request.query);
    const entries = await createNameResolver(store)(await store.listAudit(page));
    return { entries, nextBefore: entries.length === page.limit ? (entries.at(-1)?.id ?? null) : null };
  });

  app.get('/api/admin/audit/export', async (request, reply) => {
    requireAdministrator(request);
    const day = new Date().toISOString().slice(0, 10);
    return reply
      .type('application/x-ndjson; charset=utf-8')
      .header('content-disposition', `attachment; filename="hearth-audit-${day}.ndjson"`)
      .header('cache-control', 'no-store')
      .send(Readable.from(exportLines(store)));
  });
}
