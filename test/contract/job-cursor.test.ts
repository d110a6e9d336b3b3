import { describe, expect, test } from "vitest";
import { decodeJobCursor, encodeJobCursor, InvalidJobQueryError } from "../../src/service/job-cursor.js";

const asUtf8Json = (key: { created_at: string; job_id: string }) =>
  Buffer.from(JSON.stringify([key.created_at, key.job_id]), "utf8").toString("base64url");

describe("job cursors", () => {
  const keys = [
    { created_at: "2026-01-01T00:00:00.000Z", job_id: "job-012w27" },
    { created_at: "2026-01-01T00:00:00.000Z", job_id: "" },
    { created_at: "2026-01-01T00:00:00.000Z", job_id: "ünïcødé-😀" },
    { created_at: "2026-01-01T00:00:00.000Z", job_id: 'quote"back\\slash' },
  ];

  for (const key of keys) {
    test(`${JSON.stringify(key.job_id)} round-trips in the v1 format (base64url of UTF-8 JSON)`, () => {
      const cursor = encodeJobCursor(key);
      expect(cursor).toBe(`v1.${asUtf8Json(key)}`);
      expect(decodeJobCursor(cursor)).toEqual(key);
    });
  }

  for (const bad of [
    "",
    "v1.",
    "v2.abc",
    "v1.!!!",
    "v1.e30",
    `v1.${Buffer.from("[1,2]").toString("base64url")}`,
  ]) {
    test(`${JSON.stringify(bad)} is refused, naming the cursor`, () => {
      expect(() => decodeJobCursor(bad)).toThrow(InvalidJobQueryError);
    });
  }

  test("bytes that are not UTF-8 are refused", () => {
    expect(() => decodeJobCursor(`v1.${Buffer.from([0x5b, 0xff, 0x5d]).toString("base64url")}`)).toThrow(
      InvalidJobQueryError,
    );
  });
});
