import { describe, expect, it } from "vitest";
import { mulberry32 } from "../model-init";
import { SeededRandom } from "./random";

describe("SeededRandom", () => {
  it("draws the same sequence as model-init's mulberry32 for the same seed", () => {
    const a = new SeededRandom(42);
    const b = mulberry32(42);
    for (let i = 0; i < 100; i++) expect(a.next()).toBe(b());
  });

  it("continues its sequence from its saved state", () => {
    const a = new SeededRandom(7);
    for (let i = 0; i < 10; i++) a.next();
    const b = new SeededRandom(a.state);
    for (let i = 0; i < 10; i++) expect(b.next()).toBe(a.next());
  });
});
