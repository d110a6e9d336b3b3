import { expect, test } from "vitest";
import { defaultRegistry, defineConditionalRouter } from "../../src/routines/index.js";
import { runFlow } from "./support/run-flow.js";

/** The code of docs/routines.md, run as written (test/routines/docs.test.ts checks the page still shows it). */
test("docs/routines.md: a router type with named events", async () => {
  const registry = defaultRegistry();

  const TicketRouter = defineConditionalRouter({
    name: "TicketRouter",
    routes: [
      { event: "urgent", condition: "priority == 'high'" },
      { event: "low", condition: "priority == 'low'" },
    ],
    default_event: "normal",
  });
  registry.register(TicketRouter);

  const run = await runFlow(
    {
      routines: {
        start: { class: "Start" },
        router: { class: "TicketRouter" },
        urgent: { class: "Sink", config: { key: "urgent" } },
        normal: { class: "Sink", config: { key: "normal" } },
      },
      connections: [
        { from: "start.output", to: "router.input" },
        { from: "router.urgent", to: "urgent.input" },
        { from: "router.normal", to: "normal.input" },
      ],
    },
    { priority: "high" },
    { registry },
  );
  expect(run.job.shared).toEqual({ urgent: [{ priority: "high" }] });
  expect(TicketRouter.events).toEqual(["urgent", "low", "normal"]);
});
