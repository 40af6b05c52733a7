/**
 * How numbers from the status JSON are written on the page. Each writes the value in one
 * unit with a fixed number of decimals, so a reader (and scripts/dashboard-check.ts) can
 * read the value back to within half its last digit. null (nothing measured yet) is "—".
 */
export type Format = (value: number) => string;

export const NONE = "—";

export const count: Format = (n) => Math.round(n).toLocaleString("en-US");

export const decimal: Format = (n) => n.toFixed(n >= 100 ? 0 : n >= 10 ? 1 : 2);

export const perSecond: Format = (n) => `${decimal(n)}/s`;

export const times: Format = (n) => `${decimal(n)}×`;

export const percent: Format = (x) => `${(x * 100).toFixed(1)}%`;

const BYTE_UNITS = ["B", "kB", "MB", "GB", "TB"] as const;

/** SI units, three significant digits at most. */
export const bytes: Format = (n) => {
  let unit = 0;
  let v = n;
  while (Math.abs(v) >= 999.5 && unit < BYTE_UNITS.length - 1) {
    v /= 1000;
    unit++;
  }
  return unit === 0 ? `${Math.round(v)} B` : `${decimal(v)} ${BYTE_UNITS[unit]}`;
};

/** Seconds, written in ms below one second. */
export const duration: Format = (s) => (s < 1 ? `${decimal(s * 1000)} ms` : `${decimal(s)} s`);

export function show(value: number | null | undefined, format: Format): string {
  return value === null || value === undefined || !Number.isFinite(value) ? NONE : format(value);
}
