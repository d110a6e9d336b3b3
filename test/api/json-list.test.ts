import { Hono } from "hono";
import { describe, expect, test } from "vitest";
import { jsonWithList } from "../../src/api/json-list.js";

const send = async ({ jobs, ...fields }: { jobs: object[]; [key: string]: unknown }) => {
  const app = new Hono().get("/", (c) => jsonWithList(c, "jobs", jobs, fields));
  const response = await app.request("/");
  return { type: response.headers.get("content-type"), text: await response.text() };
};

describe("jsonWithList", () => {
  test("sends exactly the bytes c.json would, list first", async () => {
    const jobs = [Object.freeze({ job_id: "a", note: 'quote " and é' }), { job_id: "b", error: null }];
    const reply = { jobs, total: 2, limit: 100, offset: 0, next_cursor: null, absent: undefined };
    const sent = await send(reply);
    expect(sent.type).toBe("application/json");
    expect(sent.text).toBe(JSON.stringify(reply));
    expect(await send({ jobs: [] })).toEqual({ type: "application/json", text: '{"jobs":[]}' });
  });

  test("a replaced record is sent as it is now, a remembered one as it was", async () => {
    const first = Object.freeze({ job_id: "a", status: "running" });
    expect((await send({ jobs: [first] })).text).toBe(JSON.stringify({ jobs: [first] }));
    const replaced = Object.freeze({ ...first, status: "completed" });
    expect((await send({ jobs: [replaced, first] })).text).toBe(JSON.stringify({ jobs: [replaced, first] }));
  });

  test("a record that is not frozen is never remembered", async () => {
    const record: { job_id: string; status: string } = { job_id: "a", status: "running" };
    await send({ jobs: [record] });
    record.status = "completed";
    expect(JSON.parse((await send({ jobs: [record] })).text).jobs[0].status).toBe("completed");
  });
});
