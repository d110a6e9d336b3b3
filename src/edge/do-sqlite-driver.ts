import type { SqliteDriver, SqlValue } from "../service/sqlite/driver.js";

/**
 * The `SqliteDriver` port over a Durable Object's own SQLite database, so `SqliteStore` and its migrations run
 * inside an object unchanged. The object's storage is its own: `close()` has nothing to release.
 */
export function doSqliteDriver(storage: DurableObjectStorage): SqliteDriver {
  const sql = storage.sql;
  // transactionSync does not nest (BEGIN inside BEGIN); SqliteStore opens a transaction inside a caller's (e.g.
  // appendEvents within a flush), so an inner one simply joins the outer one, as better-sqlite3's savepoints
  // would for our purposes: every caller's writes still land or fail together with the outermost.
  let depth = 0;
  return {
    all: <Row>(query: string, params: readonly SqlValue[] = []) =>
      sql.exec(query, ...params.map(toStorageValue)).toArray() as Row[],
    run(query, params = []) {
      sql.exec(query, ...params.map(toStorageValue));
      // `rowsWritten` also counts index entries and rows touched by triggers; SQLite's changes() counts what
      // better-sqlite3 reports as `changes`: the rows the statement itself inserted, updated or deleted.
      const changes = sql.exec<{ changes: number }>("SELECT changes() AS changes").one().changes;
      return { changes };
    },
    tx<T>(fn: () => T): T {
      if (depth > 0) return fn();
      depth++;
      try {
        return storage.transactionSync(fn);
      } finally {
        depth--;
      }
    },
    close() {},
  };
}

/** Durable Object SQL binds strings, numbers, null and ArrayBuffers; the port's other types are mapped onto those. */
function toStorageValue(value: SqlValue): SqlStorageValue {
  if (typeof value === "bigint") {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new RangeError(`SQL parameter ${value} does not fit a JavaScript number`);
    }
    return Number(value);
  }
  if (value instanceof Uint8Array) {
    return value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength) as ArrayBuffer;
  }
  return value;
}
