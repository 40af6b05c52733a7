/**
 * Every optimizer against values worked by hand from its paper's equations over two
 * steps (state carried from the first to the second): x₀ = 1, Δ₁ = 0.5, Δ₂ = −0.2.
 */
import { describe, expect, it } from "vitest";
import { fedAdagrad } from "./fedadagrad";
import { fedAdam } from "./fedadam";
import { fedAvg } from "./fedavg";
import { fedAvgM } from "./fedavgm";
import { fedYogi } from "./fedyogi";
import { createOptimizer } from "./index";
import { initialState, type ServerOptimizer } from "./optimizer";
import { describeOptimizerContract } from "./optimizers.contract";

const adaptive = { serverLearningRate: 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-3, biasCorrection: true };

function twoSteps(optimizer: ServerOptimizer) {
  const state = initialState(optimizer, 1);
  const x1 = optimizer.apply(Float32Array.of(1), Float32Array.of(0.5), state);
  const after1 = Object.fromEntries(Object.entries(state.slots).map(([k, v]) => [k, v[0]]));
  const x2 = optimizer.apply(x1, Float32Array.of(-0.2), state);
  const after2 = Object.fromEntries(Object.entries(state.slots).map(([k, v]) => [k, v[0]]));
  return { x1: x1[0]!, x2: x2[0]!, after1, after2, step: state.step };
}

for (const optimizer of [
  fedAvg({ serverLearningRate: 1 }),
  fedAvgM({ serverLearningRate: 1, momentum: 0.9 }),
  fedAdam(adaptive),
  fedYogi(adaptive),
  fedAdagrad(adaptive),
]) {
  describeOptimizerContract(optimizer);
}

describe("FedAvg (McMahan et al. 2017; x ← x + ηΔ)", () => {
  it("adds η·Δ each step", () => {
    const r = twoSteps(fedAvg({ serverLearningRate: 0.5 }));
    expect(r.x1).toBeCloseTo(1 + 0.5 * 0.5, 6); // 1.25
    expect(r.x2).toBeCloseTo(1.25 + 0.5 * -0.2, 6); // 1.15
  });
});

describe("FedAvgM (Hsu et al. 2019; v ← βv + Δ, x ← x + ηv)", () => {
  it("carries momentum into the second step", () => {
    const r = twoSteps(fedAvgM({ serverLearningRate: 1, momentum: 0.9 }));
    // v₁ = 0.5, x₁ = 1.5; v₂ = 0.9·0.5 − 0.2 = 0.25, x₂ = 1.75
    expect(r.after1.v).toBeCloseTo(0.5, 7);
    expect(r.x1).toBeCloseTo(1.5, 6);
    expect(r.after2.v).toBeCloseTo(0.25, 7);
    expect(r.x2).toBeCloseTo(1.75, 6);
  });
});

describe("FedAdam (Reddi et al. 2021, Alg. 2; bias-corrected as in Kingma & Ba 2015)", () => {
  it("matches two steps worked by hand, including the first-step bias correction", () => {
    const r = twoSteps(fedAdam(adaptive));
    // t=1: m = 0.1·0.5 = 0.05; v = 0.01·0.25 = 0.0025; m̂ = 0.05/0.1 = 0.5; v̂ = 0.0025/0.01 = 0.25
    //      x₁ = 1 + 0.1·0.5/(√0.25 + 0.001) = 1 + 0.05/0.501 = 1.0998003992
    expect(r.after1.m).toBeCloseTo(0.05, 7);
    expect(r.after1.v).toBeCloseTo(0.0025, 8);
    expect(r.x1).toBeCloseTo(1.0998003992, 6);
    // t=2: m = 0.9·0.05 + 0.1·(−0.2) = 0.025; v = 0.99·0.0025 + 0.01·0.04 = 0.002875
    //      m̂ = 0.025/0.19; v̂ = 0.002875/0.0199; x₂ = x₁ + 0.1·m̂/(√v̂ + 0.001) = 1.1343269288
    expect(r.after2.m).toBeCloseTo(0.025, 7);
    expect(r.after2.v).toBeCloseTo(0.002875, 8);
    expect(r.x2).toBeCloseTo(1.1343269288, 6);
  });

  it("without bias correction follows Reddi et al.'s Algorithm 2 literally", () => {
    const r = twoSteps(fedAdam({ ...adaptive, biasCorrection: false }));
    // x₁ = 1 + 0.1·0.05/(√0.0025 + 0.001) = 1 + 0.005/0.051 = 1.0980392157
    expect(r.x1).toBeCloseTo(1.0980392157, 6);
    // x₂ = x₁ + 0.1·0.025/(√0.002875 + 0.001) = 1.1438108114
    expect(r.x2).toBeCloseTo(1.1438108114, 6);
  });
});

describe("FedYogi (Reddi et al. 2021, Alg. 2; v ← v − (1−β₂)Δ² sign(v − Δ²))", () => {
  it("matches two steps worked by hand", () => {
    const r = twoSteps(fedYogi(adaptive));
    // t=1: v = 0 − 0.01·0.25·sign(0 − 0.25) = 0.0025: the same first step as FedAdam
    expect(r.after1.v).toBeCloseTo(0.0025, 8);
    expect(r.x1).toBeCloseTo(1.0998003992, 6);
    // t=2: v = 0.0025 − 0.01·0.04·sign(0.0025 − 0.04) = 0.0029 (Adam's would be 0.002875)
    //      x₂ = x₁ + 0.1·(0.025/0.19)/(√(0.0029/0.0199) + 0.001) = 1.1341781751
    expect(r.after2.v).toBeCloseTo(0.0029, 8);
    expect(r.x2).toBeCloseTo(1.1341781751, 6);
  });
});

describe("FedAdagrad (Reddi et al. 2021, Alg. 2; v ← v + Δ²)", () => {
  it("matches two steps worked by hand, correcting m but never v", () => {
    const r = twoSteps(fedAdagrad(adaptive));
    // t=1: v = 0.25, m̂ = 0.5; x₁ = 1 + 0.1·0.5/(0.5 + 0.001) = 1.0998003992
    expect(r.after1.v).toBeCloseTo(0.25, 7);
    expect(r.x1).toBeCloseTo(1.0998003992, 6);
    // t=2: v = 0.25 + 0.04 = 0.29, m̂ = 0.025/0.19; x₂ = x₁ + 0.1·m̂/(√0.29 + 0.001) = 1.1241887084
    expect(r.after2.v).toBeCloseTo(0.29, 7);
    expect(r.x2).toBeCloseTo(1.1241887084, 6);
    expect(r.step).toBe(2);
  });
});

describe("createOptimizer", () => {
  it("builds the optimizer a task config names", () => {
    expect(createOptimizer({ kind: "fedyogi", ...adaptive }).kind).toBe("fedyogi");
    expect(createOptimizer({ kind: "fedavgm", serverLearningRate: 1, momentum: 0.5 }).slots).toEqual(["v"]);
  });
});
