/**
 * `--ref`: measure a committed revision instead of the working tree — for a before/after
 * pair of a hot-path change, or while the working tree is mid-edit. The revision is
 * exported (`git archive`) to a temporary directory that shares this checkout's
 * node_modules, and its WASM kernel is built there by its own `build:wasm` script.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export interface Checkout {
  root: string;
  /** The commit the ref named. */
  commit: string;
  remove(): void;
}

export function checkout(ref: string): Checkout {
  const commit = execFileSync("git", ["rev-parse", "--verify", `${ref}^{commit}`], {
    encoding: "utf8",
  }).trim();
  const root = mkdtempSync(join(tmpdir(), "fedge-loadtest-ref-"));
  try {
    const tar = execFileSync("git", ["archive", "--format=tar", commit], { maxBuffer: 1 << 30 });
    execFileSync("tar", ["-x", "-C", root], { input: tar });
    symlinkSync(resolve("node_modules"), join(root, "node_modules"), "dir");
    execFileSync("npm", ["run", "-s", "build:wasm"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  return { root, commit, remove: () => rmSync(root, { recursive: true, force: true }) };
}
