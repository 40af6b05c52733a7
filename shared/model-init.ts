/** A task's version-0 weights, reproducible from its config alone. */
import type { TaskConfig } from "./protocol/task-config";

/** mulberry32 (Tommy Ettinger, 2017): a tiny 32-bit PRNG, ample for initial weights. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function initialWeights(model: TaskConfig["model"]): Float32Array {
  const w = new Float32Array(model.parameters);
  const init = model.init;
  if (init.kind === "uniform") {
    const random = mulberry32(init.seed);
    for (let i = 0; i < w.length; i++) w[i] = (2 * random() - 1) * init.scale;
  }
  return w;
}
