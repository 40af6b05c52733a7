/** Recording into a MetricSet by catalogue name, so every series has a documented meaning. */
import { bucketsOf, type CounterName, type HistogramName } from "./catalogue";
import { inc, type Labels, type MetricSet, observe } from "./metric-set";

export function count(m: MetricSet, name: CounterName, labels: Labels = {}, by = 1): void {
  inc(m, name, labels, by);
}

export function record(m: MetricSet, name: HistogramName, value: number, labels: Labels = {}): void {
  observe(m, name, bucketsOf(name), value, labels);
}
