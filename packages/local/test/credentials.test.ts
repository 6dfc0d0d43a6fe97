import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tenantFixture } from "@pgforks/testing";
import { ensureLocalCredentials, passwordVerifiers } from "../src/credentials";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pgforks-credentials-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const tenants = [tenantFixture({ name: "shop" })];
const deleteIt =
  "delete it and run npm start again: it draws new passwords for the admin and every fork, and keeps the data";

describe("ensureLocalCredentials", () => {
  /** The one-line refusal of `file` (its text unchanged), as thrown. */
  function refusal(text: string): string {
    const file = join(dir, "credentials.json");
    writeFileSync(file, text);
    let message = "";
    try {
      ensureLocalCredentials(file, tenants);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(readFileSync(file, "utf8")).toBe(text);
    return message;
  }

  it("refuses a file that is no JSON in one line naming it, the parser's reason and the way out", () => {
    const file = join(dir, "credentials.json");
    const message = refusal('{"admin": "x",');
    expect(message.startsWith(`${file}: not valid JSON (`)).toBe(true);
    expect(message.endsWith(`); ${deleteIt}`)).toBe(true);
    expect(message).not.toContain("\n");
  });

  it.each([
    ["[]", "not a JSON object (found [])"],
    ["null", "not a JSON object (found null)"],
  ])("refuses a file edited into %s in one line naming it and the way out", (text, what) => {
    expect(refusal(text)).toBe(`${join(dir, "credentials.json")}: ${what}; ${deleteIt}`);
  });

  it.each([
    ['{"admin": 123}', "number 123"],
    ['{"admin": "two words"}', "a string, not shown"],
    ['{"admin": ""}', "an empty string"],
  ])(
    "refuses an admin edited into %s in one line naming the file, the field and the way out",
    (text, what) => {
      expect(refusal(text)).toBe(
        `${join(dir, "credentials.json")}: field admin: must be a password of printable ASCII characters, no spaces (found ${what}); ${deleteIt}`,
      );
    },
  );

  it.each([
    '{"password": 5, "passwordVersion": 1, "draw": "ab"}',
    '{"password": "two words", "passwordVersion": 1, "draw": "ab"}',
    '"pw"',
  ])(
    "draws a fork's password anew when its entry was edited into %s, as when it is missing",
    (entry) => {
      const file = join(dir, "credentials.json");
      writeFileSync(file, `{"admin": "kept", "tenants": {"shop": ${entry}}}`);
      const credentials = ensureLocalCredentials(file, [
        tenantFixture({ name: "shop", passwordVersion: 1 }),
      ]);
      expect(credentials.admin).toBe("kept");
      expect(credentials.tenants.shop?.password).toMatch(/^[A-Za-z0-9]{40}$/);
      expect(Object.keys(passwordVerifiers(credentials))).toEqual(["shop"]);
    },
  );

  it("draws the admin's and each fork's password when the file is missing, and keeps them", () => {
    const file = join(dir, "credentials.json");
    const first = ensureLocalCredentials(file, tenants);
    expect(first.admin).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(first.tenants.shop?.password).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(ensureLocalCredentials(file, tenants)).toEqual(first);
  });
});
