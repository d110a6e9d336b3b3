export type SqlValue = string | number | bigint | null | Uint8Array;

/**
 * The least a synchronous SQLite binding must offer for SqliteStore: better-sqlite3 (Node), bun:sqlite (Bun) and
 * Durable Object storage (`ctx.storage.sql.exec` + `transactionSync`) all fit. One SQL statement per call; nothing
 * that only some bindings have (last insert rowid, PRAGMAs a Durable Object refuses).
 */
export interface SqliteDriver {
  all<Row = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Row[];
  run(sql: string, params?: readonly SqlValue[]): { changes: number };
  /** Runs `fn` in one transaction: all its writes land, or none do when it throws. */
  tx<T>(fn: () => T): T;
  /** Releases the database; resolves once anything it ran in the background (a checkpoint) has finished too. */
  close(): void | Promise<void>;
}
