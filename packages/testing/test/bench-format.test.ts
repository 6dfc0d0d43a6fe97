import { median, signedSeconds } from "../src/bench/format";

describe("signedSeconds (npm run bench's cost lines)", () => {
  it.each([
    [580, "+0.58 s"],
    [0, "+0.00 s"],
    [-30, "-0.03 s"],
    [-4, "+0.00 s"],
    [-1250, "-1.25 s"],
  ])("%d ms -> %s", (ms, text) => {
    expect(signedSeconds(ms)).toBe(text);
  });
});

describe("median (the benchmarks' medians)", () => {
  it.each([
    [[5], 5],
    [[3, 1, 2], 2],
    [[40, 10, 30, 20], 25],
    [[7, 7, 1, 100, 7], 7],
  ])("%j -> %d", (values, expected) => {
    expect(median(values)).toBe(expected);
  });
});
