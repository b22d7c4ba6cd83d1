/** One schema step. Ids are applied in list order and never edited once released: add a new one instead. */
export interface Migration {
  readonly id: string;
  readonly sql: string;
}

/**
 * The steps of `migrations` not in `applied`, in list order. Refuses a database that has a step
 * this build does not know: it was written by a newer Hearth. The same for both dialects.
 */
export function pendingMigrations(applied: ReadonlySet<string>, migrations: readonly Migration[]): Migration[] {
  const known = new Set(migrations.map((migration) => migration.id));
  const unknown = [...applied].filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new Error(`the database has migrations this build does not know (${unknown.join(', ')}); it was written by a newer Hearth`);
  }
  return migrations.filter((migration) => !applied.has(migration.id));
}
