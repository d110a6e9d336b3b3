// The part of bun:sqlite that bun-sqlite-driver.ts uses, so `tsc` under Node checks it without @types/bun.
declare module "bun:sqlite" {
  type Binding = string | number | bigint | boolean | null | Uint8Array;

  export class Statement {
    all(...params: Binding[]): unknown[];
    get(...params: Binding[]): unknown;
    run(...params: Binding[]): { changes: number };
  }

  export class Database {
    constructor(filename: string, options?: { create?: boolean; strict?: boolean });
    /** Prepares once per distinct SQL text and caches the statement. */
    query(sql: string): Statement;
    exec(sql: string): void;
    transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
    close(): void;
  }
}
