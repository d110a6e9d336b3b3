import type { EdgeEnv } from "../../src/edge/env.js";

declare global {
  namespace Cloudflare {
    interface Env extends EdgeEnv {}
  }
}
