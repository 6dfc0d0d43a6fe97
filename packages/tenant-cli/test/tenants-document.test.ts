import { readFileSync } from "node:fs";
import { join } from "node:path";
import { environmentNames, environmentsDir, TENANTS_FILE } from "@pgforks/config";
import { parse } from "yaml";
import { TenantsDocument, UnknownTenantError } from "../src/tenants-document";

const PROD_LIKE = `# header comment
tenants:
  - name: alpha
    database: alpha_db # why alpha has its own db name
    owner: alpha-team@example.com
    extensions: [citext]
  - name: beta
    owner: beta-team@example.com
    state: suspended # paused for the rework
`;

describe("TenantsDocument", () => {
  it.each(environmentNames(environmentsDir()))(
    "writes the committed %s tenants.yaml back byte for byte",
    (env) => {
      const text = readFileSync(join(environmentsDir(), env, TENANTS_FILE), "utf8");
      const doc = TenantsDocument.parse(text);
      expect(doc.toString()).toBe(text);
      expect(doc.roundTrips).toBe(true);
    },
  );

  it("appends after the last entry and keeps comments, order and flow lists", () => {
    const doc = TenantsDocument.parse(PROD_LIKE);
    doc.append({
      name: "gamma",
      owner: "g@example.com",
      connectionLimit: 5,
      extensions: ["pg_trgm"],
    });
    const text = doc.toString();
    expect(text.startsWith(PROD_LIKE)).toBe(true);
    expect(text.slice(PROD_LIKE.length)).toBe(
      "  - name: gamma\n    owner: g@example.com\n    connectionLimit: 5\n    extensions: [pg_trgm]\n",
    );
  });

  it("writes new keys in the committed order whatever order they are given in", () => {
    const doc = TenantsDocument.parse(PROD_LIKE);
    doc.append({ readOnlyRole: true, owner: "o@example.com", database: "d", name: "n" });
    const entries = (parse(doc.toString()) as { tenants: object[] }).tenants;
    expect(Object.keys(entries.at(-1) ?? {})).toEqual([
      "name",
      "database",
      "owner",
      "readOnlyRole",
    ]);
  });

  it("turns an empty flow list or a missing list into a block list", () => {
    for (const text of ["# c\ntenants: []\n", "# c\ntenants:\n"]) {
      const doc = TenantsDocument.parse(text);
      doc.append({ name: "a", owner: "a@example.com" });
      expect(doc.toString()).toBe("# c\ntenants:\n  - name: a\n    owner: a@example.com\n");
    }
    const empty = TenantsDocument.parse("# only a comment\n");
    empty.append({ name: "a", owner: "a@example.com" });
    expect(empty.toString()).toMatch(/^# only a comment\n/);
    expect(parse(empty.toString())).toEqual({ tenants: [{ name: "a", owner: "a@example.com" }] });
  });

  it("follows flow-style entries", () => {
    const doc = TenantsDocument.parse("tenants:\n  - {name: a, owner: aaa}\n");
    doc.append({ name: "b", owner: "bbb" });
    expect(doc.toString()).toBe("tenants:\n  - {name: a, owner: aaa}\n  - {name: b, owner: bbb}\n");
  });

  it("keeps the comment of an existing state line when the state changes", () => {
    const doc = TenantsDocument.parse(PROD_LIKE);
    doc.setState("beta", "retired");
    expect(doc.toString()).toContain("    state: retired # paused for the rework\n");
  });

  it("writes confirmDrop right after state, and removes both when activated", () => {
    const doc = TenantsDocument.parse(PROD_LIKE);
    doc.setState("alpha", "dropped", "alpha_db");
    expect(doc.toString()).toContain(
      "    extensions: [citext]\n    state: dropped\n    confirmDrop: alpha_db\n",
    );
    doc.setState("alpha", "active");
    expect(doc.toString()).toBe(PROD_LIKE);
  });

  it("reads database names with the schema's default", () => {
    const doc = TenantsDocument.parse(PROD_LIKE);
    expect(doc.databaseOf("alpha")).toBe("alpha_db");
    expect(doc.databaseOf("beta")).toBe("beta");
    expect(doc.tenant("beta")?.state).toBe("suspended");
  });

  it("names the existing tenants when asked for an unknown one", () => {
    const doc = TenantsDocument.parse(PROD_LIKE);
    expect(() => doc.setState("gamma", "suspended")).toThrow(UnknownTenantError);
    expect(() => doc.entry("gamma")).toThrow('no tenant named "gamma" (existing: alpha, beta)');
  });

  it("names the likeliest of many tenants first and counts the rest", () => {
    const names = Array.from({ length: 300 }, (_, i) => `team_${i}`);
    const text = `tenants:\n${names.map((n) => `  - name: ${n}\n    owner: x@example.com\n`).join("")}`;
    const doc = TenantsDocument.parse(text);
    expect(() => doc.entry("team_29x")).toThrow(
      'no tenant named "team_29x" (existing: team_29, team_290, team_291, team_292, team_293, team_294, team_295, team_296, team_297, team_298 and 290 more)',
    );
  });

  it.each([
    ["CRLF line endings", (text: string) => text.replace(/\n/g, "\r\n")],
    ["a byte-order mark", (text: string) => `\uFEFF${text}`],
    ["both", (text: string) => `\uFEFF${text.replace(/\n/g, "\r\n")}`],
  ])(
    "keeps %s (a file saved on Windows gets a one-entry diff, not every line rewritten)",
    (_style, style) => {
      const original = style(PROD_LIKE);
      const doc = TenantsDocument.parse(original);
      expect(doc.roundTrips).toBe(true);
      doc.append({ name: "gamma", owner: "g@example.com", connectionLimit: 5 });
      expect(doc.toString()).toBe(
        style(`${PROD_LIKE}  - name: gamma\n    owner: g@example.com\n    connectionLimit: 5\n`),
      );
    },
  );

  it("names a key written twice with its path and both lines, in one message", () => {
    expect(() =>
      TenantsDocument.parse("tenants:\n  - name: a\n    owner: x@example.com\n    name: b\n"),
    ).toThrow(
      'invalid YAML: 4:5 tenants[0].name: duplicate key "name" (first at line 2); a key may appear once in a mapping: keep one',
    );
  });

  it("refuses text that is not YAML, with the position", () => {
    expect(() => TenantsDocument.parse("tenants:\n  - name: a\n   owner: [\n")).toThrow(
      /invalid YAML: \d+:\d+/,
    );
  });
});
