/**
 * Writes docs/openapi.json, the OpenAPI 3.1 document generated from the wire contract
 * (shared/protocol/openapi.ts). test/openapi.test.ts fails when the checked-in file is stale.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { openApiDocument } from "../shared/protocol/openapi";

const out = fileURLToPath(new URL("../docs/openapi.json", import.meta.url));
writeFileSync(out, `${JSON.stringify(openApiDocument(), null, 2)}\n`);
execFileSync("biome", ["format", "--write", out], { stdio: "inherit" });
console.log(`wrote ${out}`);
