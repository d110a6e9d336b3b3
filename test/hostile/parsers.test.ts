import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { routilux, type TempProject, tempProject } from "../cli/support.js";
import { bunAvailable, startServer, type TestServer } from "../support/server.js";
import { expectHealthy, guardPrototype } from "./support.js";

/** Parsers: a key written twice in a JSON flow document is a DSL_INVALID error naming the key, as in YAML. */

guardPrototype();

/** A flow as JSON text whose routine `src` has the key `data` twice in its config. */
const DUPLICATE_CONFIG = `{
  "flow_id": "twice",
  "routines": {
    "src": { "class": "DemoSource", "config": { "data": "shown", "data": "run" } },
    "sink": { "class": "DemoSink" }
  },
  "connections": [{ "from": "src.output", "to": "sink.input" }]
}`;
const ISSUE = `routine 'src': config: duplicate key "data" at line 4`;

interface ErrorBody {
  error: { code: string; message: string; details: { issues: string[] } };
}

describe.each([
  { target: "node" as const, skip: false },
  { target: "bun" as const, skip: !bunAvailable() },
])("duplicate keys are a DSL_INVALID error in JSON flow documents too ($target)", ({ target, skip }) => {
  let api: TestServer;
  beforeAll(async () => {
    if (!skip) api = await startServer({}, { target });
  }, 30_000);
  afterAll(() => api?.close());

  test.skipIf(skip).each([
    { as: "`dsl` text", body: JSON.stringify({ dsl: DUPLICATE_CONFIG }) },
    { as: "`dsl_dict`", body: `{"flow_id": "twice", "dsl_dict": ${DUPLICATE_CONFIG}}` },
  ])("POST /api/flows with the JSON as $as: 400 DSL_INVALID naming the key", async ({ body }) => {
    const response = await api.request<ErrorBody>("POST", "/api/flows", body);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("DSL_INVALID");
    expect(response.body.error.details.issues).toEqual([ISSUE]);
    expect((await api.request("GET", "/api/flows/twice")).status).toBe(404);
    await expectHealthy(api);
  });

  test.skipIf(skip)(
    "a key repeated outside `dsl_dict`, or in different objects, is not the document's",
    async () => {
      const body = `{"flow_id": "once", "flow_id": "once", "dsl_dict": {"routines": {"a": {"class": "DemoSink"}, "b": {"class": "DemoSink"}}}}`;
      const response = await api.request("POST", "/api/flows", body);
      expect(response.status).toBe(201);
    },
  );
});

describe("routilux validate flow.json", () => {
  let project: TempProject;
  beforeAll(async () => {
    project = await tempProject();
    await project.write("flows/twice.json", DUPLICATE_CONFIG);
  });
  afterAll(() => project?.remove());

  test("a JSON flow file with a repeated key is invalid: exit 1 naming the key", async () => {
    const result = await routilux(["validate", "flows/twice.json"], { cwd: project.dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("flows/twice.json: invalid");
    expect(result.stderr).toContain(`error: ${ISSUE}`);
  });
});
