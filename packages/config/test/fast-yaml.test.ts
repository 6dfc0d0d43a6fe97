import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { inspect, isDeepStrictEqual } from "node:util";
import type { ConfigProblem } from "../src/errors";
import { FAST_YAML_DECLINED, fastYamlValue } from "../src/fast-yaml";
import { parseYaml, repoRoot } from "../src/load";

/** The precise path's reading: its value, or "refused" with its first message. */
function precise(text: string): { value: unknown } | { refused: string } {
  const problems: ConfigProblem[] = [];
  const parsed = parseYaml("x.yaml", text, problems);
  return parsed ? { value: parsed.value } : { refused: problems[0]?.message ?? "?" };
}

/**
 * Where the quick path reads `text` otherwise than the precise one: undefined when it declines,
 * or when both accept and give the same value (the same to the sign of a zero, NaN, prototypes).
 */
function mismatch(text: string): string | undefined {
  const fast = fastYamlValue(text);
  if (fast === FAST_YAML_DECLINED) return undefined;
  const slow = precise(text);
  const shown = (value: unknown) => inspect(value, { maxStringLength: 60, breakLength: Infinity });
  if ("refused" in slow) {
    return `${shown(text)}: quick ${shown(fast)}, precise refuses (${slow.refused})`;
  }
  return isDeepStrictEqual(fast, slow.value)
    ? undefined
    : `${shown(text)}: quick ${shown(fast)}, precise ${shown(slow.value)}`;
}

const root = repoRoot();
const repoYamlFiles = execFileSync("git", ["ls-files", "*.yaml", "*.yml"], {
  cwd: root,
  encoding: "utf8",
})
  .split("\n")
  .filter(Boolean);

/** Scalars whose type or value a YAML reader may take otherwise than another. */
const SCALARS = [
  ...["0", "1", "-0", "+1", "012", "-012", "00", "0777", "0o17", "0o8", "-0o7", "0x1F", "0xG"],
  ...["-0x1F", "+0x1F", "0b11", "1_000", "1__0", "0x", "0o", "+", "-", "--", "-a", "1.2.3"],
  ...["1e3", "1E3", "1.5e-3", "1.5e+3", "1e", "e3", "1.", "0.", "-.5", "+.5", ".5", "._"],
  ...[".inf", "-.Inf", "+.INF", ".NaN", ".nan", "NaN", "inf", "0.1", "1e400", "-1e400"],
  ...["12345678901234567890", "123456789012345678901234567890", "9007199254740993"],
  ...["012345678901", "333333333333", "1".repeat(400), `0x${"f".repeat(300)}`],
  ...["true", "True", "TRUE", "tRUE", "false", "False", "FALSE", "fAlse"],
  ...["yes", "no", "on", "off", "y", "n", "Yes", "NO"],
  ...["null", "Null", "NULL", "nULL", "~", "''", '""', "'~'", '"null"'],
  ...["2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "12:30:45"],
  ...["1:20", "190:20:30", "'1'", '"1"', "'true'", '"0x1F"', "'it''s'", "'a''''b'"],
  ...['"\\u00e9\\x41\\N\\_\\L\\P\\0\\a\\e\\t\\/\\ "', '"\\U0001F600"', '"a\\\n  b"'],
  ...["é ünï 😀 日本", "a b  c", "a # c", "a#b", "a:b", "http://example.com:80/x?y=1#z"],
  ...["a: b", "a :b", "- a", "-a", ":a", "a:", "?a", "@a", "`a", "%a", "a%", "=", "<<"],
  ...["R&D", "a*b", "a!b", "x,y", "[a", "a]", "{a", "a}", '"unterminated', "'unterminated"],
  ...["\u00a0a", "a\u00a0", "a\u2003b", "\u200b", "team-1@example.com", "db.t4g.medium"],
  ...["10.30.0.0/16", "use1-az1", "alias/pgforks-tfstate", "c:\\\\path", "'  lead'", "trail  "],
];

/** Places a scalar may stand. */
const CONTEXTS: ((s: string) => string)[] = [
  (s) => `k: ${s}\n`,
  (s) => `k:\n- ${s}\n`,
  (s) => `k: [${s}]\n`,
  (s) => `${s}: v\n`,
  (s) => `{${s}: v}\n`,
  (s) => `k: [${s}, ${s}]\n`,
  (s) => `a:\n  b:\n    - ${s}\n    - c: ${s}\n`,
  (s) => `k: ${s} # comment\n`,
  (s) => `k: ${s}`,
];

/** Structures: block scalars, folding, flow, nesting, keys, comments, errors. */
const STRUCTURES = [
  "a: |\n  line 1\n  line 2\n",
  "a: |-\n  x\n\n",
  "a: |+\n  x\n\n\n",
  "a: >\n  folded\n  text\n\n  para\n",
  "a: >-\n  x\n  y\n",
  "a: |2\n    indented\n",
  "a: >\n\n  lead blank\n",
  "a: |\n",
  "a: |\n  x",
  "a: 'multi\n  line\n\n  quoted'\n",
  'a: "multi\n  line\\\n  escaped"\n',
  "a: plain\n  continued\n  more\n",
  "a:\n- b\n- c\n",
  "a:\n  - b\n  -\n  - - c\n    - d\n",
  "- a: 1\n  b: 2\n- c: 3\n",
  "-   a: 1\n    b: 2\n",
  "a: [1, [2, 3], {b: c}]\n",
  "a: {b: [1, 2], c: {d: e}}\n",
  "a: [a, b, ]\n",
  "a: {b, c}\n",
  "a: {b: 1, b: 2}\n",
  "a: 1\na: 2\n",
  "a: 1\n'a': 2\n",
  '1: a\n"1": b\n',
  "true: a\nTrue: b\n",
  "~: a\nnull: b\n",
  "~: a\n'': b\n",
  ".nan: a\n.NaN: b\n",
  "1: a\n0x1: b\n",
  "__proto__: x\n",
  "__proto__: {polluted: 1}\na: 1\n",
  "constructor: x\ntoString: y\nhasOwnProperty: z\n",
  "? a\n: b\n",
  "? [a, b]\n: c\n",
  "[a, b]: c\n",
  "{a: 1}: c\n",
  '"a\n b": c\n',
  `${"k".repeat(1100)}: v\n`,
  `${"k".repeat(1000)}: v\n`,
  "a: b: c\n",
  "a: b\n c: d\n",
  "a:\n  b: 1\n c: 2\n",
  "a:\n    b: 1\n  c: 2\n",
  "a: 1\n  b: 2\n",
  "- a\nb: c\n",
  "a: [1, 2\n",
  "a: {b: 1\n",
  "a: 'x\n",
  'a: "x\n',
  "a: x\n# only a comment\n",
  "# comment\na: 1 # trailing\n# end\n",
  "a: 1 #comment\nb: x#y\n",
  "a: \n",
  "a:\n",
  "a: -\n",
  "- \n- ~\n-\n",
  "",
  "\n\n",
  "# only a comment\n",
  "~\n",
  "null\n",
  "just a string\n",
  "42\n",
  "[]\n",
  "{}\n",
  "a: {}\nb: []\n",
  "a: b\n\n\n",
  "a: b   \nc: d  \n",
  "   a: b\n   c: d\n",
  "a:   \n  b\n",
  "---\na: 1\n",
  "  ---\n  - a\n",
  " --- x\n",
  "- ---\n- ...\n",
  "a: ---\nb: ...\nc: --- x\n",
  "a:\n  ---\n",
  "a: x\n  ---\n  y\n",
  "a: |\n  ---\n  ...\n",
  ": a\n",
  ": a: b\n",
  "- : - c\n",
  "a : b\n",
  ">1\n  \n  - \n",
  "a: |1\n   x\n",
  "a: >-2\n    x\n",
  "- |2+\n   x\n",
  "a: 1\n---\nb: 2\n",
  "a: 1\n...\n",
  "%YAML 1.2\n---\na: 1\n",
  "a: &x 1\nb: *x\n",
  "a: &x 1\n",
  "&x a: b\n",
  "a: [&x b, c]\n",
  "- &x\n  b: c\n",
  "a: !!str 1\n",
  "a: !custom x\n",
  "<<: {a: 1}\nb: 2\n",
  "a:\n\t- b\n",
  "a:\tb\n",
  "a: b\t\n",
  "\uFEFFa: 1\n",
  "a: 1\n\uFEFF",
  "a: \u0007\n",
  "a: x\u0085y\n",
  "a: x\u2028y\n",
  "tenants:\n  - name: a\n    owner: a@example.com\n    tags: {team: x, cost-center: '42'}\n",
  `tenants:\n${Array.from({ length: 50 }, (_, i) => `  - name: t${i}\n    connectionLimit: ${i}\n`).join("")}`,
  "a:\n  - b: 1\n    c:\n      - d\n      - e: f\n        g: h\n",
  `a: ${"[".repeat(150)}${"]".repeat(150)}\n`,
  "a: [\n  1,\n  2\n]\n",
  "a: [1, 2] x\n",
  "a: [1, 2]x\n",
  "a: [1, 2]x: y\n",
  "a: {b: 1} c: d\n",
  "a:\n- [1, 2]\\-k:  .\n",
  'r:\n- ""? truex y\n',
  'r:\n- "\\na"k: \n    :-1\n',
  "r:\n- 'a'k: v\n",
  "r:\n- 'a' k: v\n",
  "- - a: 1\n    b: 2\n  - c\n",
  "a: [1, 2] # c\nb: [[1], {c: d}], # x\n",
  "a: {\n  b: 1,\n  c: 2\n}\n",
  "a: 'it''s' # c\n",
  "'quoted key': 1\n\"dq key\": 2\n",
  "k: v\n\n# trailing comment without newline",
];

/**
 * Each text also with CRLF line endings, without its final line break, and nested one level
 * down (the quick path declines a file that is not a mapping).
 */
function variants(text: string): string[] {
  const nested = `r:\n${text.replace(/^/gm, "  ")}`;
  return [text, text.replace(/\n/g, "\r\n"), text.replace(/\n$/, ""), nested];
}

/** Pieces of YAML put together at random (seeded, so every run tries the same texts). */
const PIECES = [
  ...["a", "b", "k: ", ":", ": ", " : ", "\n:", " ", "  ", "\n", "\n  ", "\n    ", "\r\n"],
  ...["- ", "-", "- - ", "\n- ", "\n  - ", "? ", "'", '"', '"a\nb"', "'x\n y'", "[", "]", "{"],
  ...["}", ", ", ",", "# c", "#", "a  # c", "1", "0x1", "1.5", "~", "null", "true", "|", ">"],
  ...["|-", "|2", ">1-", "|-3", "\\", "\\n", "é", "x y", "%", "@", "`", "=", ".", "..."],
  ...["---", "  ---", "\n---", "\n  ...", "{a: 1}", "[1, 2]", "&", "*", "!", "<<"],
];

function randomTexts(count: number, seed: number): string[] {
  let state = seed;
  const next = (n: number) => {
    // xorshift32
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
  // Most behind a key, so that the text is a mapping (else the quick path declines it).
  const starts = ["", "r: ", "r:\n  ", "r:\n- "];
  return Array.from({ length: count }, (_, i) => {
    const pieces = Array.from({ length: 1 + next(14) }, () => PIECES[next(PIECES.length)]);
    return `${starts[i % starts.length]}${pieces.join("")}`;
  });
}

describe("the quick YAML path reads as the precise one", () => {
  test("every YAML file of the repository (environments, fixtures, workflows): same value or declined", () => {
    expect(repoYamlFiles.length).toBeGreaterThanOrEqual(10);
    const found = repoYamlFiles.flatMap((file) => {
      const text = readFileSync(join(root, file), "utf8");
      return variants(text).flatMap((t) => mismatch(t) ?? []);
    });
    expect(found).toEqual([]);
  });

  test("the committed environments are read the quick way (it declines none of them)", () => {
    const environments = repoYamlFiles.filter((file) => file.startsWith("environments/"));
    expect(environments.length).toBeGreaterThanOrEqual(7);
    const declined = environments.filter(
      (file) => fastYamlValue(readFileSync(join(root, file), "utf8")) === FAST_YAML_DECLINED,
    );
    expect(declined).toEqual([]);
  });

  test("a table of tricky scalars in every place: same value or declined", () => {
    const texts = SCALARS.flatMap((s) => CONTEXTS.map((place) => place(s)));
    expect(texts.length).toBeGreaterThan(1000);
    expect(texts.filter((t) => fastYamlValue(t) !== FAST_YAML_DECLINED).length).toBeGreaterThan(
      texts.length / 2,
    );
    const found = texts.flatMap((t) => variants(t).flatMap((v) => mismatch(v) ?? []));
    expect(found).toEqual([]);
  });

  test("a table of structures and broken files: same value or declined", () => {
    const found = STRUCTURES.flatMap((t) => variants(t).flatMap((v) => mismatch(v) ?? []));
    expect(found).toEqual([]);
  });

  test("30,000 random texts of YAML pieces: same value or declined", () => {
    const texts = randomTexts(30_000, 0x5eed);
    // Not vacuous: the quick path reads a good share of them.
    const read = texts.filter((t) => fastYamlValue(t) !== FAST_YAML_DECLINED);
    expect(read.length).toBeGreaterThan(1_000);
    expect(read.flatMap((t) => mismatch(t) ?? [])).toEqual([]);
  });

  test("declines what the precise path treats specially, and accepts the plain cases", () => {
    for (const special of [
      "---\na: 1\n",
      "a: 1\n...\n",
      "%YAML 1.2\n---\na: 1\n",
      "a: &x 1\n",
      "a: *x\n",
      "a: [*x]\n",
      "a: {b: &x 1}\n",
      "a: !!str 1\n",
      "<<: {a: 1}\n",
      "a: 1\nb: 2\na: 3\n",
      "a: [1, 2\n",
      "\uFEFFa: 1\n",
      "a:\tb\n",
      `${"k".repeat(1100)}: v\n`,
      "",
      "# nothing\n",
      "~\n",
    ]) {
      expect([special, fastYamlValue(special)]).toEqual([special, FAST_YAML_DECLINED]);
    }
    expect(fastYamlValue("a: R&D\nb: a*b\nc: x!\n")).toEqual({ a: "R&D", b: "a*b", c: "x!" });
    expect(fastYamlValue("a: 1e400\nb: 012\nc: ~\n~: d\n")).toEqual({
      a: Number.POSITIVE_INFINITY,
      b: 12,
      c: null,
      "": "d",
    });
  });
});
