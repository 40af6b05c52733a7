// wrangler's CompiledWasm rule turns this import into a WebAssembly.Module (built by `npm run build:wasm`).

import { createWasmBackend } from "./accumulator";
import kernelsModule from "./build/kernels.wasm";

export const wasmBackend = createWasmBackend(kernelsModule);
