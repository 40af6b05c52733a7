import { describe, expect, it } from "vitest";
import { fedMedian } from "./fed-median";

const models = (...rows: number[][]) => rows.map((r) => Float32Array.from(r));

describe("fedMedian (Yin et al., ICML 2018, coordinate-wise median)", () => {
  it("matches Flower's FedMedian test vector (flwr/server/strategy/fedmedian_test.py)", () => {
    const out = fedMedian(models([0.2, 0.2, 0.2, 0.2], [1, 1, 1, 1], [0.5, 0.5, 0.5, 0.5]), [5, 5, 5]);
    expect(Array.from(out)).toEqual(Array.from(Float32Array.of(0.5, 0.5, 0.5, 0.5)));
  });

  it("takes each coordinate's middle value independently for an odd count", () => {
    // Column 0: 1, 5, 2 → 2. Column 1: −3, 0, 9 → 0.
    expect(Array.from(fedMedian(models([1, -3], [5, 0], [2, 9]), [1, 1, 1]))).toEqual([2, 0]);
  });

  it("averages the two middle values for an even count", () => {
    // 1, 4, 2, 10 sorted: 1, 2, 4, 10 → (2 + 4) / 2.
    expect(Array.from(fedMedian(models([1], [4], [2], [10]), [1, 1, 1, 1]))).toEqual([3]);
  });

  it("returns the repeated value when the middle values tie", () => {
    expect(Array.from(fedMedian(models([2], [7], [2]), [1, 1, 1]))).toEqual([2]);
    expect(Array.from(fedMedian(models([2], [2], [2], [9]), [1, 1, 1, 1]))).toEqual([2]);
  });

  it("ignores the sample weights, as Flower does", () => {
    const m = models([1], [4], [2]);
    expect(fedMedian(m, [1000, 1, 1])).toEqual(fedMedian(m, [1, 1, 1]));
  });
});
