/**
 * A seedable uniform [0, 1) source for stochastic rounding whose whole state is one u32,
 * so an encoder can persist it and resume the same sequence. The generator is mulberry32
 * (Tommy Ettinger, 2017), the one shared/model-init.ts uses, with its state exposed.
 * Not cryptographic; stochastic rounding only needs draws independent of the values.
 */
export class SeededRandom {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** The u32 to pass to the constructor to continue this sequence. */
  get state(): number {
    return this.#state;
  }

  /** The next draw, a multiple of 2⁻³² in [0, 1). */
  readonly next = (): number => {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
