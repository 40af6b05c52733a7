/**
 * What the project's commands share in reading their arguments: a bad invocation is a
 * one-line usage error and exit 2, never a stack trace.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";

export type Usage = (message: string) => never;

/** parseArgs, with an unknown or malformed option reported through `usage` (its first sentence). */
export function parseOptions<T extends ParseArgsConfig["options"]>(options: T, usage: Usage) {
  try {
    return parseArgs({ options }).values;
  } catch (error) {
    return usage((error as Error).message.split(". ")[0] ?? String(error));
  }
}

/** A script's usage error: the message and its help on stderr, exit 2. */
export function usageExit(script: string, help: string): Usage {
  return (message) => {
    console.error(`${script}: ${message}\n\n${help}`);
    process.exit(2);
  };
}

/** `--port`: an integer from 1 to 65535. */
export function portOption(raw: string | undefined, usage: Usage): number {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) usage(`--port must be 1 to 65535, not ${raw}`);
  return port;
}

/** `--name`: an integer ≥ min. */
export function intOption(name: string, raw: string | undefined, min: number, usage: Usage): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) usage(`--${name} must be an integer ≥ ${min}, got "${raw}"`);
  return n;
}
