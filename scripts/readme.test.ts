/** What README promises a newcomer matches the project's own files (issue 13, part 8). */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const readme = readFileSync("README.md", "utf8");
const pkg = JSON.parse(readFileSync("package.json", "utf8")) as {
  engines: { node: string };
  license: string;
};

describe("README", () => {
  it("asks for the Node.js version package.json's engines requires", () => {
    const required = pkg.engines.node.match(/^>=(\d+)$/)?.[1];
    const stated = readme.match(/Needs Node\.js (\d+) or later/)?.[1];

    expect(required).toBeDefined();
    expect(stated).toBe(required);
  });

  it("names the license that LICENSE holds and package.json declares", () => {
    const license = readFileSync("LICENSE", "utf8");

    expect(pkg.license).toBe("Apache-2.0");
    expect(license).toMatch(/^\s+Apache License\s+Version 2\.0, January 2004/);
    expect(readme).toContain("[Apache-2.0](LICENSE)");
  });
});
