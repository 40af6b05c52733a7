import { env, exports } from "cloudflare:workers";
import { expect, it } from "vitest";
it("runs", async () => {
  const r = await exports.default.fetch("http://x/");
  expect(await r.text()).toContain("weightedSum");
  const stub = env.DIRECTORY.getByName("a");
  expect(await stub.ping()).toBe(1);
});
