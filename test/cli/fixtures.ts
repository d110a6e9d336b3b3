/** Routine modules and flow files the CLI tests write into their temporary projects. */

/** A user's routine in TypeScript, imported from the package the way a user's project does. */
export const DOUBLE_ROUTINE = `import { defineRoutine, z } from "routilux";

export const Double = defineRoutine({
  name: "Double",
  slots: ["input"],
  events: ["output"],
  config: z.strictObject({ factor: z.number().default(2) }),
  handlers: {
    input(payload, ctx) {
      const value: number = Number(payload.value);
      ctx.emit("output", { value: value * ctx.config.factor });
    },
  },
});
`;

/** No flow_id inside: it is the file's name. */
export const DOUBLE_FLOW = `routines:
  start: { class: Start }
  double: { class: Double, config: { factor: 3 } }
  results: { class: Sink }
connections:
  - { from: start.output, to: double.input }
  - { from: double.output, to: results.input }
`;

export const TYPO_FLOW = `routines:
  start: { class: Start }
  double: { class: Dubble }
connections:
  - { from: start.output, to: double.input }
`;

/** A flow that labels its results with \`version\`, optionally after a delay: old and new versions tell apart. */
export const versionedFlow = (version: number, delayMs = 0): string => `flow_id: versioned
routines:
  start: { class: Start }
${delayMs > 0 ? `  wait: { class: Delay, config: { ms: ${delayMs} } }\n` : ""}  label: { class: Mapper, config: { set: { version: ${version} } } }
  results: { class: Sink }
connections:
${delayMs > 0 ? "  - { from: start.output, to: wait.input }\n  - { from: wait.output, to: label.input }" : "  - { from: start.output, to: label.input }"}
  - { from: label.output, to: results.input }
`;
