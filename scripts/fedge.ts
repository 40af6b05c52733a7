/**
 * fedge's command-line helper for local use.
 *
 *   npm run -s fedge -- frame --values 0.1,0.2 --weight 10 --base 0 --layout-hash 3f2a01bc > update.bin
 */
import { encodeDenseF32Frame, randomUpdateId } from "../shared/protocol/frame";
import { parseFrameArgs, UsageError } from "./fedge-args";

const HELP = `usage: npm run -s fedge -- <command> [options]

commands:
  frame    write a dense-f32 update frame (docs/protocol.md#update-frame) to stdout
           --values a,b,c      the update Δ = local − global, comma-separated finite
                               decimals within float32's range (required)
           --weight n          sample weight: local training examples (required, > 0)
           --base v            the model version trained from (default 0)
           --layout-hash hex   the task's layoutHash from registration or the manifest (required)
           --update-id hex     32 hex digits (default: random)
  help     print this message`;

/** Every bad invocation: one line on stderr, exit code 2 (the usual code for a usage error). */
function fail(message: string): never {
  process.stderr.write(`fedge: ${message} (see: npm run -s fedge -- help)\n`);
  process.exit(2);
}

function frame(args: string[]): void {
  const parsed = parseFrameArgs(args);
  const bytes = encodeDenseF32Frame(parsed.values, {
    baseVersion: parsed.base,
    sampleWeight: parsed.weight,
    updateId: parsed.updateId ?? randomUpdateId(),
    layoutHash: parsed.layoutHash,
  });
  process.stdout.write(bytes);
}

const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case "frame":
    try {
      frame(rest);
    } catch (error) {
      if (error instanceof UsageError) fail(error.message);
      throw error;
    }
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
