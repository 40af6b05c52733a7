/**
 * fedge's command-line helper for local use.
 *
 *   npm run -s fedge -- frame --values 0.1,0.2 --weight 10 --base 0 --layout-hash 3f2a01bc > update.bin
 */
import { parseArgs } from "node:util";
import { encodeDenseF32Frame, randomUpdateId } from "../shared/protocol/frame";

const HELP = `usage: npm run -s fedge -- <command> [options]

commands:
  frame    write a dense-f32 update frame (docs/protocol.md#update-frame) to stdout
           --values a,b,c      the update Δ = local − global, comma-separated (required)
           --weight n          sample weight: local training examples (required, > 0)
           --base v            the model version trained from (default 0)
           --layout-hash hex   the task's layoutHash from registration or the manifest (required)
           --update-id hex     32 hex digits (default: random)
  help     print this message`;

function fail(message: string): never {
  process.stderr.write(`fedge: ${message}\n\n${HELP}\n`);
  process.exit(2);
}

function frame(args: string[]): void {
  const { values } = parseArgs({
    args,
    options: {
      values: { type: "string" },
      weight: { type: "string" },
      base: { type: "string", default: "0" },
      "layout-hash": { type: "string" },
      "update-id": { type: "string" },
    },
  });
  if (!values.values) fail("--values is required");
  if (!values.weight) fail("--weight is required");
  if (!values["layout-hash"]) fail("--layout-hash is required");
  const numbers = values.values.split(",").map((s) => Number(s.trim()));
  const bad = numbers.findIndex((n) => !Number.isFinite(n));
  if (bad >= 0) fail(`--values: item ${bad} is not a finite number`);
  const weight = Number(values.weight);
  if (!(weight > 0) || !Number.isFinite(weight)) fail("--weight must be a finite number > 0");
  const base = Number(values.base);
  if (!Number.isInteger(base) || base < 0) fail("--base must be a non-negative integer");
  const hashText = values["layout-hash"];
  if (!/^[0-9a-f]{8}$/i.test(hashText)) fail("--layout-hash must be 8 hex digits");
  const updateId = values["update-id"] ?? randomUpdateId();
  if (!/^[0-9a-f]{32}$/i.test(updateId)) fail("--update-id must be 32 hex digits");
  const bytes = encodeDenseF32Frame(Float32Array.from(numbers), {
    baseVersion: base,
    sampleWeight: weight,
    updateId: updateId.toLowerCase(),
    layoutHash: hashText.toLowerCase(),
  });
  process.stdout.write(bytes);
}

const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case "frame":
    frame(rest);
    break;
  case undefined:
  case "help":
  case "--help":
  case "-h":
    console.log(HELP);
    break;
  default:
    fail(`unknown command "${command}"`);
}
