/**
 * The accountant against TensorFlow Privacy's published values: the figures below are
 * copied from tensorflow/privacy, tensorflow_privacy/privacy/analysis/rdp_accountant_test.py
 * (test_compute_rdp_no_data, _no_sampling, _scalar, _sequence and
 * test_get_privacy_spent_check_target_delta), where compute_rdp(q, σ, steps, orders)
 * is steps × the per-application RDP computed here.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_ORDERS, epsilonFromRdp, sampledGaussianRdp } from "./rdp";

const compose = (q: number, sigma: number, steps: number, orders: number[]) =>
  sampledGaussianRdp(q, sigma, orders).map((r) => steps * r);

describe("sampledGaussianRdp", () => {
  it("costs nothing when no one is sampled (q = 0)", () => {
    expect(compose(0, 10, 1, [20])).toEqual([0]);
  });

  it("is α/(2σ²) without sampling (q = 1)", () => {
    expect(compose(1, 10, 1, [20])[0]).toBeCloseTo(0.1, 12);
  });

  it("matches TensorFlow Privacy at an integer order: q = 0.1, σ = 2, 10 steps, α = 5 → 0.07737", () => {
    expect(compose(0.1, 2, 10, [5])[0]).toBeCloseTo(0.07737, 5);
  });

  it("matches TensorFlow Privacy at fractional, integer, large and infinite orders", () => {
    const orders = [1.5, 2.5, 5, 50, 100, Number.POSITIVE_INFINITY];
    const expected = [0.00065, 0.001085, 0.00218075, 0.023846, 167.416307];
    const rdp = compose(0.01, 2.5, 50, orders);
    expect(rdp.slice(0, 5).map((r, i) => Math.abs(r - expected[i]!) < 1e-5)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(rdp[5]).toBe(Number.POSITIVE_INFINITY);
  });

  it("is continuous across integer orders (the fractional series meets the binomial sum)", () => {
    const [below, at, above] = sampledGaussianRdp(0.05, 1.1, [2.999999, 3, 3.000001]);
    expect(Math.abs(below! - at!) / at!).toBeLessThan(1e-5);
    expect(Math.abs(above! - at!) / at!).toBeLessThan(1e-5);
  });

  it("refuses a rate outside [0, 1], a noise multiplier ≤ 0 and an order ≤ 1", () => {
    expect(() => sampledGaussianRdp(1.5, 1, [2])).toThrow(/sampling rate/);
    expect(() => sampledGaussianRdp(0.1, 0, [2])).toThrow(/noise multiplier/);
    expect(() => sampledGaussianRdp(0.1, 1, [1])).toThrow(/orders must be > 1/);
  });
});

describe("epsilonFromRdp", () => {
  it("matches TensorFlow Privacy for constant RDP 1.1 over orders 2..32 at δ = 1e-5: ε = 1.32783806176 at α = 32", () => {
    const orders = Array.from({ length: 31 }, (_, i) => i + 2);
    const { epsilon, order } = epsilonFromRdp(
      orders,
      orders.map(() => 1.1),
      1e-5,
    );
    expect(order).toBe(32);
    expect(epsilon).toBeCloseTo(1.32783806176, 9);
  });

  it("gives ε = 1 at δ = 1e-6 for the Gaussian mechanism with σ = 4.530877117 over fine orders", () => {
    const orders = Array.from({ length: 99_000 }, (_, i) => 0.001 * (i + 1000)).filter((a) => a > 1);
    const { epsilon } = epsilonFromRdp(orders, sampledGaussianRdp(1, 4.530877117, orders), 1e-6);
    expect(epsilon).toBeCloseTo(1, 4);
  });

  it("grows with steps and shrinks with noise, over the default orders", () => {
    const eps = (sigma: number, steps: number) =>
      epsilonFromRdp(DEFAULT_ORDERS, compose(0.1, sigma, steps, [...DEFAULT_ORDERS]), 1e-5).epsilon;
    expect(eps(1, 100)).toBeGreaterThan(eps(1, 10));
    expect(eps(2, 100)).toBeLessThan(eps(1, 100));
  });

  it("refuses δ outside (0, 1) and mismatched lengths", () => {
    expect(() => epsilonFromRdp([2], [1], 0)).toThrow(/delta/);
    expect(() => epsilonFromRdp([2, 3], [1], 1e-5)).toThrow(/2 orders for 1 RDP values/);
  });
});
