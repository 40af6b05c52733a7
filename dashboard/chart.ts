/**
 * A uPlot chart inside a `<figure>`, sized to its container, that says how many data
 * points it holds in the figure's `data-points` attribute (what scripts/dashboard-check.ts
 * asserts on, and what the CSS uses to show "waiting for data").
 */
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { Columns } from "./series";

export const COLOURS = {
  blue: "#5b9cf5",
  orange: "#f5a45b",
  green: "#5bd6a0",
  violet: "#b08cf5",
  red: "#f26d6d",
  yellow: "#e8cf5a",
} as const;

const AXIS: uPlot.Axis = {
  stroke: "#9aa5b5",
  grid: { stroke: "#262d3a", width: 1 },
  ticks: { stroke: "#262d3a", width: 1 },
  font: "11px system-ui, sans-serif",
};

const HEIGHT = 220;

export class Chart {
  readonly #figure: HTMLElement;
  readonly #plot: uPlot;

  constructor(figure: HTMLElement, options: Omit<uPlot.Options, "width" | "height">) {
    const holder = figure.querySelector<HTMLElement>(".plot") ?? figure;
    this.#figure = figure;
    const empty = options.series.map(() => []) as unknown as uPlot.AlignedData;
    this.#plot = new uPlot(
      {
        ...options,
        legend: { live: false },
        axes: (options.axes ?? [{}, {}]).map((axis) => ({ ...AXIS, ...axis })),
        width: holder.clientWidth,
        height: HEIGHT,
      },
      empty,
      holder,
    );
    new ResizeObserver(() => this.#plot.setSize({ width: holder.clientWidth, height: HEIGHT })).observe(
      holder,
    );
    this.#figure.dataset.points = "0";
  }

  set(columns: Columns): void {
    this.#plot.setData(columns as uPlot.AlignedData);
    this.#figure.dataset.points = String(pointsIn(columns));
  }
}

/** Finite y values over every series. */
export function pointsIn(columns: Columns): number {
  let n = 0;
  for (const ys of columns.slice(1)) for (const y of ys) if (y !== null && Number.isFinite(y)) n++;
  return n;
}

export function line(label: string, stroke: string, extra: uPlot.Series = {}): uPlot.Series {
  return { label, stroke, width: 2, points: { show: true, size: 5, fill: stroke }, ...extra };
}

/**
 * Bars, `size` of the slot wide; `align` -1/1 puts two series side by side. On a log scale
 * they rise from the scale's bottom (there is no 0 to fill to).
 */
export function bars(
  label: string,
  colour: string,
  options: { size?: number; align?: -1 | 0 | 1; scale?: string; log?: boolean } = {},
): uPlot.Series {
  const scale = options.scale ?? "y";
  return {
    label,
    scale,
    stroke: colour,
    fill: `${colour}cc`,
    width: 0,
    points: { show: false },
    paths: uPlot.paths.bars!({ size: [options.size ?? 0.6, 64], align: options.align ?? 0 }),
    ...(options.log ? { fillTo: (u: uPlot) => u.scales[scale]?.min ?? 0 } : {}),
  };
}

/** A y axis for a log scale (`distr: 3`): a grid line and a label at each power of ten. */
export function powersOfTen(scale: string, format: (v: number) => string): uPlot.Axis {
  return {
    scale,
    splits: (_u, _axis, min, max) => {
      const out: number[] = [];
      for (let e = Math.floor(Math.log10(min)); 10 ** e <= max * 1.0001; e++) {
        if (10 ** e >= min * 0.9999) out.push(10 ** e);
      }
      return out;
    },
    values: (_u, splits) => splits.map((v) => (v === null || v === undefined ? "" : format(v))),
  };
}

/** An x axis of named slots 0 … n−1; `labels` is read at each redraw, so the slots can change. */
export function categories(labels: () => string[]): { scale: uPlot.Scale; axis: uPlot.Axis } {
  return {
    scale: { time: false, range: () => [-0.5, Math.max(labels().length, 1) - 0.5] },
    axis: {
      splits: () => labels().map((_, i) => i),
      values: (_u, splits) => splits.map((i) => labels()[i] ?? ""),
      grid: { show: false },
    },
  };
}
