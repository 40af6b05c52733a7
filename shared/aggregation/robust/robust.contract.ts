/**
 * One contract every robust aggregator satisfies, whatever its rule: run over each in
 * robust.test.ts with n models and options that tolerate at least one Byzantine model.
 * Choose n so that no Krum round has k = 1, where the closest pair ties by construction
 * and the tie rule makes the result depend on the input order (see ./bulyan.ts).
 */
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../model-init";
import { type RobustAggregation, robustAggregate } from "./robust-aggregate";

const DIM = 5;

function randomModels(seed: number, n: number, dim = DIM): Float32Array[] {
  const random = mulberry32(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: dim }, () => 2 * random() - 1));
}

const ones = (n: number) => new Array<number>(n).fill(1);

export function describeRobustContract(config: RobustAggregation, n: number): void {
  const aggregate = (models: readonly Float32Array[], weights: readonly number[] = ones(models.length)) =>
    robustAggregate(config, models, weights);

  describe(`${config.kind} (contract)`, () => {
    it("returns the common model when every model is identical", () => {
      const model = Float32Array.of(0.1, -2.5, 3e-8, 0, 1e6);
      expect(aggregate(Array.from({ length: n }, () => model.slice()))).toEqual(model);
    });

    it("returns a new array of the models' length and leaves the inputs unmodified", () => {
      const models = randomModels(1, n);
      const copies = models.map((m) => m.slice());
      const out = aggregate(models);
      expect(out).toBeInstanceOf(Float32Array);
      expect(out.length).toBe(DIM);
      for (const m of models) expect(out).not.toBe(m);
      expect(models).toEqual(copies);
    });

    it("is unchanged by a permutation of inputs without ties", () => {
      const models = randomModels(2, n);
      const weights = models.map((_, i) => 1 + ((i * 7) % 5));
      const order = models.map((_, i) => (n + 2 - i) % n); // reversed, then rotated
      expect(
        aggregate(
          order.map((i) => models[i]!),
          order.map((i) => weights[i]!),
        ),
      ).toEqual(aggregate(models, weights));
    });

    it("keeps each coordinate within the inputs' range at that coordinate", () => {
      const models = randomModels(3, n);
      const out = aggregate(models);
      for (let c = 0; c < DIM; c++) {
        const column = models.map((m) => m[c]!);
        expect(out[c]).toBeGreaterThanOrEqual(Math.min(...column));
        expect(out[c]).toBeLessThanOrEqual(Math.max(...column));
      }
    });

    it("stays within the honest models' range when one model is arbitrarily far", () => {
      const honest = randomModels(4, n - 1);
      const out = aggregate([...honest, new Float32Array(DIM).fill(1e6)]);
      for (let c = 0; c < DIM; c++) {
        const column = honest.map((m) => m[c]!);
        expect(out[c]).toBeGreaterThanOrEqual(Math.min(...column));
        expect(out[c]).toBeLessThanOrEqual(Math.max(...column));
      }
    });

    it("refuses empty input, models of different lengths and a weight per model that is missing or invalid", () => {
      expect(() => aggregate([], [])).toThrow(/no models/);
      const models = randomModels(5, n);
      const short = [...models.slice(0, -1), new Float32Array(DIM - 1)];
      expect(() => aggregate(short)).toThrow(`models[${n - 1}] has length ${DIM - 1}, models[0] has ${DIM}`);
      expect(() => aggregate(models, ones(n - 1))).toThrow(`${n - 1} weights for ${n} models`);
      expect(() => aggregate(models, [...ones(n - 1), -1])).toThrow(
        `weights[${n - 1}] must be a finite number ≥ 0`,
      );
      expect(() => aggregate(models, [...ones(n - 1), Number.NaN])).toThrow(RangeError);
    });
  });
}
