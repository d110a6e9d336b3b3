import { stringify } from "yaml";
import { FlowInvalidError } from "../core/errors.js";
import type { Connection, FlowDefinition, RoutineInstance } from "../core/flow.js";
import { parseFlowDsl } from "./parse.js";
import {
  type ConnectionDsl,
  type FlowDslDocument,
  formatEndpoint,
  PORT_NAME_PATTERN,
  type RoutineDsl,
} from "./schema.js";

export const DSL_FORMATS = ["yaml", "json"] as const;
export type DslFormat = (typeof DSL_FORMATS)[number];

/**
 * The DSL document of a flow. Importing it (with the flow's own timestamps as `now`) gives back a deep-equal
 * FlowDefinition: empty config, null error handler and null param_mapping are left out because the importer
 * restores exactly those values; everything else is written out, execution settings included.
 *
 * Throws FlowInvalidError when the flow holds something the DSL cannot carry (a config value that is not
 * JSON data, such as a function given from code; an id or event name the importer would refuse), so an
 * export never produces a document that does not import.
 */
export function flowToDslDocument(flow: FlowDefinition): FlowDslDocument {
  const document: FlowDslDocument = {
    flow_id: flow.flow_id,
    // fromEntries defines own properties, so no routine id can reach a prototype while building.
    routines: Object.fromEntries(
      Object.entries(flow.routines).map(([id, routine]) => [id, routineDsl(routine)]),
    ),
    connections: flow.connections.map(connectionDsl),
    execution: { strategy: flow.execution_strategy, max_workers: flow.max_workers, timeout: flow.timeout },
  };
  const misread = flow.connections.flatMap(unwritablePorts);
  if (misread.length > 0) throw new FlowInvalidError(misread);
  // Beyond that, the importer's own rules decide what is exportable.
  parseFlowDsl(document, { now: flow.created_at });
  // A copy, so changing the document never changes the flow (configs would otherwise be shared).
  return structuredClone(document);
}

export function exportFlowDsl(flow: FlowDefinition, format: DslFormat): string {
  const document = flowToDslDocument(flow);
  if (format === "json") return `${JSON.stringify(document, null, 2)}\n`;
  // No anchors for repeated objects and no line folding: the text should read like a hand-written file.
  return stringify(document, { version: "1.2", aliasDuplicateObjects: false, lineWidth: 0 });
}

function routineDsl(routine: RoutineInstance): RoutineDsl {
  const written: RoutineDsl = { class: routine.class_name };
  if (Object.keys(routine.config).length > 0) written.config = routine.config;
  if (routine.error_handler !== null) written.error_handler = { ...routine.error_handler };
  return written;
}

function connectionDsl(conn: Connection): ConnectionDsl {
  const written: ConnectionDsl = {
    from: formatEndpoint(conn.source_routine, conn.source_event),
    to: formatEndpoint(conn.target_routine, conn.target_slot),
  };
  if (conn.param_mapping !== null) written.param_mapping = { ...conn.param_mapping };
  return written;
}

/** An event or slot name with a dot would still parse, but as a different routine and name. */
function unwritablePorts(conn: Connection, index: number): string[] {
  const ports = [
    ["event", conn.source_event],
    ["slot", conn.target_slot],
  ] as const;
  return ports
    .filter(([, name]) => !PORT_NAME_PATTERN.test(name))
    .map(
      ([kind, name]) =>
        `connection ${index}: ${kind} '${name}' cannot be written in the DSL (${kind} names have no ".")`,
    );
}
