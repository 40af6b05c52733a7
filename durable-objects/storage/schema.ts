/** Stored-schema migrations shared by the objects' SQLite tables. */

/** ALTER TABLE … ADD COLUMN once, for a table created before the column existed (SQLite has no IF NOT EXISTS for columns). */
export function addColumn(sql: SqlStorage, table: string, column: string, type: string): void {
  if (!hasColumn(sql, table, column)) sql.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
}

export function hasColumn(sql: SqlStorage, table: string, column: string): boolean {
  return sql
    .exec<{ name: string }>("SELECT name FROM pragma_table_info(?)", table)
    .toArray()
    .some((c) => c.name === column);
}

export function tableExists(sql: SqlStorage, table: string): boolean {
  return (
    sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", table).toArray().length > 0
  );
}

/** ensureTable's `current` for a table that must be stored WITHOUT ROWID. */
export function isWithoutRowid(definition: string): boolean {
  return definition.includes("WITHOUT ROWID");
}

/**
 * Creates `table` with `create` (its `CREATE TABLE IF NOT EXISTS` statement), or rebuilds a
 * table created with an older definition — one `current` rejects — keeping its rows in the
 * columns both definitions have. For changes ALTER TABLE cannot make: a key, a constraint,
 * WITHOUT ROWID. Call where the schema is set up (in the constructor, one implicit
 * transaction with the rest of it).
 */
export function ensureTable(
  sql: SqlStorage,
  table: string,
  create: string,
  current: (definition: string) => boolean,
): void {
  const [stored] = sql
    .exec<{ sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", table)
    .toArray();
  if (stored && current(stored.sql)) return;
  if (!stored) {
    sql.exec(create);
    return;
  }
  const old = `${table}__old`;
  const before = sql.exec<{ name: string }>("SELECT name FROM pragma_table_info(?)", table).toArray();
  sql.exec(`ALTER TABLE ${table} RENAME TO ${old}`);
  sql.exec(create);
  const after = new Set(
    sql
      .exec<{ name: string }>("SELECT name FROM pragma_table_info(?)", table)
      .toArray()
      .map((c) => c.name),
  );
  const columns = before
    .map((c) => c.name)
    .filter((c) => after.has(c))
    .join(", ");
  sql.exec(`INSERT INTO ${table} (${columns}) SELECT ${columns} FROM ${old}`);
  sql.exec(`DROP TABLE ${old}`);
}
