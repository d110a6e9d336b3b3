/** Which local runtime runs this process. Bun runs TypeScript and SQLite itself; Node needs tsx and better-sqlite3. */
export const isBun = (): boolean => "Bun" in globalThis;
