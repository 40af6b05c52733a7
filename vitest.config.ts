import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: { name: "unit", include: ["shared/**/*.test.ts", "sdk/**/*.test.ts"], environment: "node" },
      },
      {
        // The project's commands run as a user runs them: child processes, real ports, workerd.
        test: {
          name: "scripts",
          include: ["scripts/**/*.test.ts"],
          environment: "node",
          testTimeout: 180_000,
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ADMIN_TOKEN: "test-admin-token",
                TOKEN_SECRET: "test-token-secret",
                // Local development: short secrets are accepted (workers/secrets.ts). Never deployed;
                // test/secrets.test.ts drops it to exercise the deployed checks.
                FEDGE_LOCAL_DEV: "true",
                ALLOW_REGION_OVERRIDE: "true",
                // An exact origin and the local-development patterns (test/cors.test.ts).
                CORS_ORIGINS: "https://app.fedge.test,http://localhost:*,http://127.0.0.1:*",
                // Cases per fuzz property in wasm/codecs.contract.ts; the workers cannot see the environment.
                FUZZ_RUNS: process.env.FUZZ_RUNS ?? "",
              },
            },
          }),
        ],
        test: {
          name: "workers",
          // End-to-end tests drive dozens of devices through four tiers; CI machines have two cores.
          testTimeout: 30_000,
          include: [
            "test/**/*.test.ts",
            "wasm/**/*.test.ts",
            "durable-objects/**/*.test.ts",
            "workers/**/*.test.ts",
          ],
        },
      },
    ],
  },
});
