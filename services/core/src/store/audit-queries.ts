import type { AuditEntry, NewAuditEntry } from '../domain/audit.ts';
import { HearthError } from '../errors.ts';
import { found } from './refusals.ts';
import { type AuditRow, toAuditEntry } from './rows.ts';
import type { QueryTable } from './sql-conn.ts';
import type { AuditPage } from './store.ts';

/** The audit log: appended to, and paged either way. */
export const auditQueries = {
  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    const sql = `INSERT INTO audit_log (at, actor_id, action, target_type, target_id, detail, ip, user_agent)
      VALUES (?, ?, ?, ?, ?, ?::jsonb, ?, ?) RETURNING *`;
    const { at, actorId, action, targetType, targetId, detail, origin } = entry;
    const row = await this.sql.row<AuditRow>(
      sql,
      at,
      actorId,
      action,
      targetType,
      targetId,
      JSON.stringify(detail),
      origin?.ip ?? null,
      origin?.userAgent ?? null,
    );
    return toAuditEntry(found(row, () => new HearthError('internal', 'the audit entry was not stored')));
  },

  async listAudit(page: AuditPage): Promise<AuditEntry[]> {
    if (page.after !== undefined) {
      return (await this.sql.rows<AuditRow>('SELECT * FROM audit_log WHERE id > ? ORDER BY id LIMIT ?', page.after, page.limit)).map(toAuditEntry);
    }
    const before = page.before ?? Number.MAX_SAFE_INTEGER;
    return (await this.sql.rows<AuditRow>('SELECT * FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?', before, page.limit)).map(toAuditEntry);
  },
} satisfies QueryTable;
