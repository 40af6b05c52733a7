/**
 * `npm run loadtest`: fedge under load in workerd, against a bare Worker → Durable Object
 * → SQLite INSERT measured in the same run; see scripts/loadtest/ and docs/benchmarks.md.
 * `--help` lists the options.
 */
import { execFileSync } from "node:child_process";
import { checkout } from "./loadtest/checkout";
import { HELP, OptionError, parseOptions } from "./loadtest/options";
import { report } from "./loadtest/result";
import { runLoadtest } from "./loadtest/run";
import { table } from "./loadtest/table";

let options: ReturnType<typeof parseOptions>;
try {
  options = parseOptions(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof OptionError || err instanceof TypeError)) throw err;
  console.error(`loadtest: ${err.message}\n\n${HELP}`);
  process.exit(2);
}
if (options === "help") {
  console.log(HELP);
  process.exit(0);
}
const o = options;
// Wrangler's informational lines ("Using secrets defined in .dev.vars") would land on stdout.
process.env.WRANGLER_LOG ??= "warn";
const say = (line: string) => process.stderr.write(`${line}\n`);
const started = performance.now();
say(
  `fedge load test: ${o.devices} devices, ${o.params} parameters, top-${100 * o.density}% at ${o.bits} bits${o.stress ? `, stress: ${o.stress}` : ""}`,
);
// What is measured: the commit --ref names, or the working tree as the build will see it.
const revision = o.ref ? checkout(o.ref) : null;
const tree = revision?.commit ?? treeState();
if (revision) say(`measuring ${o.ref} (${revision.commit}), exported to ${revision.root}`);
let run: Awaited<ReturnType<typeof runLoadtest>>;
try {
  run = await runLoadtest(o, { say }, revision?.root);
} finally {
  revision?.remove();
}
const result = report(o, run, Math.round((performance.now() - started) / 1000));
const summary = table(result);
if (o.json) {
  say(summary);
  console.log(JSON.stringify({ ...result, tree }));
} else {
  console.log(summary);
}

/** The commit measured, and whether the working tree differed from it. */
function treeState(): string {
  try {
    return execFileSync("git", ["describe", "--always", "--dirty"], { encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}
