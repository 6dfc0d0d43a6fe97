/**
 * A difference of two medians in seconds, with its sign: "+0.58 s", "-0.03 s". With one run per
 * case (`--runs 1`) on a busy machine the larger case can come out faster; the old `+${…}` then
 * printed "+-0.03 s".
 */
export function signedSeconds(ms: number): string {
  const text = (Math.abs(ms) / 1000).toFixed(2);
  return `${ms < 0 && text !== "0.00" ? "-" : "+"}${text} s`;
}
