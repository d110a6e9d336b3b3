import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

/**
 * The Workers tests (`npm run test:workers`): test/workers/ runs inside workerd, against the Worker and Durable
 * Objects that wrangler.toml declares. Kept apart from vitest.config.ts, which runs on Node.
 */
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      // The evaluate endpoint is off by default; the debugger tests use it. test/workers/outbound.test.ts checks
      // that the fetch policy reads its bindings.
      miniflare: {
        bindings: {
          ROUTILUX_EXPR_EVAL_ENABLED: "true",
          ROUTILUX_FETCH_ALLOW: "127.0.0.1:9",
          ROUTILUX_FETCH_TIMEOUT_MS: "3000",
        },
      },
    }),
  ],
  test: {
    include: ["test/workers/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
