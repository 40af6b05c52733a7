/** One contract every server optimizer satisfies, whatever its update rule. */
import { describe, expect, it } from "vitest";
import { initialState, type ServerOptimizer } from "./optimizer";

export function describeOptimizerContract(optimizer: ServerOptimizer): void {
  describe(`${optimizer.kind} (contract)`, () => {
    it("leaves its inputs unmodified and returns a new array of the same dimension", () => {
      const w = Float32Array.of(1, -2, 3);
      const d = Float32Array.of(0.5, 0.5, -0.5);
      const next = optimizer.apply(w, d, initialState(optimizer, 3));
      expect(Array.from(w)).toEqual([1, -2, 3]);
      expect(Array.from(d)).toEqual([0.5, 0.5, -0.5]);
      expect(next).not.toBe(w);
      expect(next.length).toBe(3);
    });

    it("counts its steps in the state", () => {
      const state = initialState(optimizer, 2);
      optimizer.apply(Float32Array.of(0, 0), Float32Array.of(1, 1), state);
      optimizer.apply(Float32Array.of(0, 0), Float32Array.of(1, 1), state);
      expect(state.step).toBe(2);
    });

    it("does not move a parameter whose pseudo-gradient has always been zero", () => {
      const state = initialState(optimizer, 2);
      const next = optimizer.apply(Float32Array.of(5, 5), Float32Array.of(0, 1), state);
      expect(next[0]).toBe(5);
      expect(next[1]).toBeGreaterThan(5);
    });

    it("moves along the pseudo-gradient's sign on the first step", () => {
      const next = optimizer.apply(
        Float32Array.of(0, 0),
        Float32Array.of(0.3, -0.3),
        initialState(optimizer, 2),
      );
      expect(next[0]).toBeGreaterThan(0);
      expect(next[1]).toBeLessThan(0);
    });

    it("rejects a pseudo-gradient of the wrong dimension", () => {
      expect(() =>
        optimizer.apply(Float32Array.of(0, 0), Float32Array.of(1), initialState(optimizer, 2)),
      ).toThrow(RangeError);
    });

    it("continues identically from a state that was copied (as the coordinator persists it)", () => {
      const a = initialState(optimizer, 1);
      const x1 = optimizer.apply(Float32Array.of(1), Float32Array.of(0.5), a);
      const copy = {
        step: a.step,
        slots: Object.fromEntries(Object.entries(a.slots).map(([k, v]) => [k, v.slice()])),
      };
      expect(optimizer.apply(x1, Float32Array.of(-0.2), copy)).toEqual(
        optimizer.apply(x1, Float32Array.of(-0.2), a),
      );
    });
  });
}
