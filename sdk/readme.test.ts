/**
 * sdk/README's code is the examples' own: each block marked `<!-- from <file> -->` appears in
 * that file verbatim, give or take an indentation (the formatter dedents code in Markdown).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const readme = readFileSync(new URL("./README.md", import.meta.url), "utf8");
const excerpts = [...readme.matchAll(/<!-- from (\S+) -->\n\n```ts\n([\s\S]*?)```/g)].map((m) => ({
  file: m[1]!,
  code: m[2]!,
}));

describe("sdk/README", () => {
  it("takes its code from the runnable examples", () => {
    expect(excerpts.length).toBeGreaterThanOrEqual(5);
  });

  it.each(excerpts.map((e, i) => ({ ...e, n: i + 1 })))(
    "excerpt from $file (block $n) is in it verbatim",
    ({ file, code }) => {
      const source = readFileSync(new URL(`../${file}`, import.meta.url), "utf8");
      const indented = [0, 2, 4, 6, 8].map((n) => code.replace(/^(?=.)/gm, " ".repeat(n)));
      expect(
        indented.some((excerpt) => source.includes(excerpt)),
        code,
      ).toBe(true);
    },
  );
});
