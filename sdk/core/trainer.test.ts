import { describe, expectTypeOf, it } from "vitest";
import type { Trainer as SpamTrainer } from "../spam/trainer";
import type { Evaluator, LocalTrainer, Trainer } from "./trainer";

// Checked by the type checker (npm run typecheck); at run time these are no-ops.
describe("Trainer", () => {
  it("is the same type as the spam model's Trainer, so either declaration can be used", () => {
    expectTypeOf<Trainer>().toEqualTypeOf<SpamTrainer>();
  });

  it("is accepted wherever the client takes a trainer or an evaluator", () => {
    expectTypeOf<SpamTrainer>().toExtend<LocalTrainer>();
    expectTypeOf<SpamTrainer>().toExtend<Evaluator>();
  });
});
