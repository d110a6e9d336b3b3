/** linear_flow as a DSL dict (src/routines/demo-flows.ts): its routines and wiring, for twins under other ids. */
export const linearFlowDsl = {
  routines: {
    source: { class: "DemoSource" },
    validator: { class: "DemoValidator" },
    transformer: { class: "DemoTransformer" },
    sink: { class: "DemoSink" },
  },
  connections: [
    { from: "source.output", to: "validator.input" },
    { from: "validator.valid", to: "transformer.input" },
    { from: "transformer.output", to: "sink.input" },
  ],
};
