/**
 * Deploying (issue 13, part 5): `npm run deploy` without Cloudflare credentials says how to get
 * them instead of failing inside wrangler, and `npm run check:deploy` holds the bundle to a budget.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const home = mkdtempSync(join(tmpdir(), "fedge-deploy-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** This process's environment less any Cloudflare credentials, with an empty home for wrangler's login. */
function loggedOut(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, ".config") };
  for (const name of Object.keys(env))
    if (name.startsWith("CLOUDFLARE_") || name.startsWith("CF_")) delete env[name];
  return env;
}

function run(script: string, ...args: string[]) {
  return spawnSync("tsx", [script, ...args], { encoding: "utf8", env: loggedOut() });
}

describe("npm run deploy", () => {
  it("says how to log in, and deploys nothing, when there are no Cloudflare credentials", () => {
    const result = run("scripts/deploy.ts");

    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/not logged in to Cloudflare/);
    expect(result.stderr).toContain("npx wrangler login");
    expect(result.stderr).toContain("CLOUDFLARE_API_TOKEN");
  });

  it("refuses an environment wrangler.toml does not declare, naming those it does", () => {
    const result = run("scripts/deploy.ts", "--env", "prod");

    expect(result.status).toBe(2);
    expect(result.stderr).toContain('no environment "prod"; it has dev, staging, production');
  });
});

describe("npm run check:deploy", () => {
  it("passes within the budget and prints the gzipped size", () => {
    const result = run("scripts/check-deploy.ts", "--outdir", join(home, "within"));

    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/gzip \d+\.\d KiB of a 1024\.0 KiB budget/);
  });

  it("fails when the gzipped bundle passes the budget", () => {
    const result = run("scripts/check-deploy.ts", "--outdir", join(home, "over"), "--budget-kib", "50");

    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/of a 50\.0 KiB budget .*over budget/);
  });
});
