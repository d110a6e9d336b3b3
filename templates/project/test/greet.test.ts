import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { createRoutilux } from "routilux";
import { Greet } from "../src/routines/greet.js";

const helloFlow = await readFile(new URL("../flows/hello.yaml", import.meta.url), "utf8");

test("the hello flow greets by name", async () => {
  const routilux = await createRoutilux({ routines: [Greet], flows: [helloFlow] });
  const { done } = await routilux.run("hello", "start", { name: "Ada" });
  const { record, shared_data } = await done;
  assert.equal(record.status, "completed");
  assert.deepEqual(shared_data.results, [{ greeting: "Hello, Ada!" }]);
  await routilux.close();
});
