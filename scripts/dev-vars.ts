/**
 * Creates .dev.vars from .dev.vars.example, or adds the example's keys that an older
 * .dev.vars lacks, so a fresh clone (or an old checkout) starts with no manual setup.
 * One of them is FEDGE_LOCAL_DEV=true, without which the Worker refuses the short
 * development secrets as it would deployed (workers/secrets.ts).
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";

const keys = (text: string) => new Set(Array.from(text.matchAll(/^([A-Z_][A-Z0-9_]*)=/gm), (m) => m[1]));
const example = readFileSync(".dev.vars.example", "utf8");

if (!existsSync(".dev.vars")) {
  writeFileSync(".dev.vars", example);
  console.log("created .dev.vars from .dev.vars.example (local-only secrets)");
} else {
  const have = keys(readFileSync(".dev.vars", "utf8"));
  const missing = example.split("\n").filter((line) => {
    const key = line.match(/^([A-Z_][A-Z0-9_]*)=/)?.[1];
    return key !== undefined && !have.has(key);
  });
  if (missing.length > 0) {
    appendFileSync(".dev.vars", `\n# added from .dev.vars.example\n${missing.join("\n")}\n`);
    console.log(`added ${missing.map((l) => l.split("=")[0]).join(", ")} to .dev.vars`);
  }
}
