/** A clock for tests: sleeping records the delay and moves time on at once. */
import type { Clock } from "../clock";

export class FakeClock implements Clock {
  readonly sleeps: number[] = [];

  constructor(private time = Date.parse("2026-01-01T00:00:00Z")) {}

  now(): number {
    return this.time;
  }

  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.time += ms;
  }

  advance(ms: number): void {
    this.time += ms;
  }
}

/** A "seeded" random for tests: returns the given values in turn, so jittered delays are exact. */
export function sequence(...values: number[]): () => number {
  let i = 0;
  return () => {
    const value = values[i++];
    if (value === undefined) throw new Error(`sequence exhausted after ${values.length} values`);
    return value;
  };
}
