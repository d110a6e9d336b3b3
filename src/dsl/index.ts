/** The flow DSL: YAML/JSON documents in, FlowDefinitions out, and back again. See docs/dsl.md. */
export { DSL_FORMATS, type DslFormat, exportFlowDsl, flowToDslDocument } from "./export.js";
export {
  type ParseFlowDslOptions,
  parseAndValidateFlowDsl,
  parseFlowDsl,
  type ValidatedFlow,
} from "./parse.js";
export { DEFAULT_DSL_LIMITS, type DslLimits } from "./read-document.js";
export {
  type ConnectionDsl,
  type Endpoint,
  type ExecutionDsl,
  type FlowDslDocument,
  FlowDslDocumentSchema,
  formatEndpoint,
  ID_PATTERN,
  PORT_NAME_PATTERN,
  parseEndpoint,
  type RoutineDsl,
} from "./schema.js";
