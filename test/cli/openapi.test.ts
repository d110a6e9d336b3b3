import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, test } from "vitest";
import { REPO, routilux } from "./support.js";

/** `routilux openapi > openapi.json`: the document a client generator reads (docs/typed-clients.md). */

test("prints the OpenAPI 3.1 document of the API, versioned like the package", async () => {
  const result = await routilux(["openapi"], { cwd: REPO });
  expect(result.code, result.stderr).toBe(0);
  const document = JSON.parse(result.stdout);
  const { version } = JSON.parse(await readFile(join(REPO, "package.json"), "utf8"));
  expect(document.openapi).toBe("3.1.0");
  expect(document.info.version).toBe(version);
  expect(Object.keys(document.paths)).toEqual(
    expect.arrayContaining(["/api/jobs", "/api/jobs/{job_id}/state", "/api/jobs/{job_id}/debug/resume"]),
  );
});
