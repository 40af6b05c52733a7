/**
 * Byte strings of any size in Durable Object SQLite. A row holds at most 2 MB, so
 * values are split into 1 MiB chunks under one key.
 */
export const CHUNK_BYTES = 1 << 20;

export class BlobStore {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(
      "CREATE TABLE IF NOT EXISTS blob_chunks (key TEXT NOT NULL, idx INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (key, idx)) WITHOUT ROWID",
    );
  }

  put(key: string, bytes: Uint8Array): void {
    this.delete(key);
    const chunks = Math.max(1, Math.ceil(bytes.byteLength / CHUNK_BYTES));
    for (let i = 0; i < chunks; i++) {
      const chunk = bytes.slice(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES);
      this.#sql.exec("INSERT INTO blob_chunks (key, idx, data) VALUES (?, ?, ?)", key, i, chunk.buffer);
    }
  }

  get(key: string): Uint8Array | null {
    const rows = this.#sql
      .exec<{ data: ArrayBuffer }>("SELECT data FROM blob_chunks WHERE key = ? ORDER BY idx", key)
      .toArray();
    if (rows.length === 0) return null;
    if (rows.length === 1) return new Uint8Array(rows[0]?.data as ArrayBuffer);
    const total = rows.reduce((n, r) => n + r.data.byteLength, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const { data } of rows) {
      out.set(new Uint8Array(data), at);
      at += data.byteLength;
    }
    return out;
  }

  delete(key: string): void {
    this.#sql.exec("DELETE FROM blob_chunks WHERE key = ?", key);
  }
}
