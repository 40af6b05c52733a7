/** Creates .dev.vars from .dev.vars.example when it is missing, so a fresh clone starts with no setup. */
import { copyFileSync, existsSync } from "node:fs";

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  console.log("created .dev.vars from .dev.vars.example (local-only secrets)");
}
