/** The q-quantile (0..1) of the values, by linear interpolation between closest ranks. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * Math.min(Math.max(q, 0), 1);
  const lower = Math.floor(pos);
  const upper = Math.ceil(pos);
  const a = sorted[lower] as number;
  const b = sorted[upper] as number;
  return a + (b - a) * (pos - lower);
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

/** Rounds for display: 3 significant digits, no exponent. */
export function round(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))));
  return Number(value.toFixed(Math.min(digits, 6)));
}

/**
 * The smallest and largest values, in one pass: Math.min(...values) passes each value as an
 * argument, on the stack, and throws RangeError at ~150,000 of them (a 100,000-guitar run is close).
 */
export function extent(values: Iterable<number>): { min: number; max: number } {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}
