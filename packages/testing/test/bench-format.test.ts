import { signedSeconds } from "../src/bench/format";

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
