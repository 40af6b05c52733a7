/** Stored-schema migrations shared by the objects' SQLite tables. */

/** ALTER TABLE … ADD COLUMN once, for a table created before the column existed (SQLite has no IF NOT EXISTS for columns). */
export function addColumn(sql: SqlStorage, table: string, column: string, type: string): void {
  const columns = sql.exec<{ name: string }>("SELECT name FROM pragma_table_info(?)", table).toArray();
  if (!columns.some((c) => c.name === column)) sql.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
}
