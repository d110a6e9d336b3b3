import { z } from "@hono/zod-openapi";

export const ServiceInfo = z
  .object({ name: z.string(), version: z.string(), description: z.string() })
  .openapi("ServiceInfo", {
    example: {
      name: "routilux",
      version: "0.1.0",
      description: "Event-driven workflow engine with a built-in monitoring and debugging API",
    },
  });

export const Health = z.object({ status: z.literal("healthy") }).openapi("Health");
export const Liveness = z.object({ status: z.literal("alive") }).openapi("Liveness");
export const Readiness = z.object({ status: z.literal("ready") }).openapi("Readiness");
