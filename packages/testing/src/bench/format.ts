/**
 * A difference of two medians in seconds, with its sign: "+0.58 s", "-0.03 s". With one run per
 * case (`--runs 1`) on a busy machine the larger case can come out faster; the old `+${…}` then
 * printed "+-0.03 s".
 */
export function signedSeconds(ms: number): string {
  const text = (Math.abs(ms) / 1000).toFixed(2);
  return `${ms < 0 && text !== "0.00" ? "-" : "+"}${text} s`;
}

/** The median of a non-empty list (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
