import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { underTakeover } from "../src/processes";

const scratch = mkdtempSync(join(tmpdir(), "pgforks-takeover-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("underTakeover", () => {
  it("judges under <lock>.takeover and removes that folder afterwards, even when the judge throws", () => {
    const lock = join(scratch, "judged.lock");
    const seen: boolean[] = [];
    expect(underTakeover(lock, 5_000, () => seen.push(existsSync(`${lock}.takeover`)))).toBe(true);
    expect(() =>
      underTakeover(lock, 5_000, () => {
        throw new Error("judge failed");
      }),
    ).toThrow("judge failed");
    expect({ seen, left: existsSync(`${lock}.takeover`) }).toEqual({ seen: [true], left: false });
  });

  it("does nothing while another takeover runs, and removes one left by a killed process", () => {
    const lock = join(scratch, "busy.lock");
    mkdirSync(`${lock}.takeover`);
    let judged = 0;
    expect(underTakeover(lock, 5_000, () => judged++)).toBe(false);
    expect(existsSync(`${lock}.takeover`)).toBe(true);
    // Older than staleMs: its taker was killed; removed, and the next call judges.
    const old = new Date(Date.now() - 10_000);
    utimesSync(`${lock}.takeover`, old, old);
    expect(underTakeover(lock, 5_000, () => judged++)).toBe(false);
    expect(underTakeover(lock, 5_000, () => judged++)).toBe(true);
    expect({ judged, left: existsSync(`${lock}.takeover`) }).toEqual({ judged: 1, left: false });
  });
});
