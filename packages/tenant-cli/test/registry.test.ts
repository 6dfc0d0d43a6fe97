import { loadEnvironment, tenantSchema } from "@pgforks/config";
import { cell, renderRegistry } from "../src/registry";

// DATABASE_REGISTRY.md is rendered by GitHub; a tenant's owner and description are free text from
// tenants.yaml (any string of 3-200 and up to 500 characters). They must show as written, never
// as a link with other text, an image, or HTML that hides the rest of the cell.

const hostile = tenantSchema.parse({
  name: "evilcorp",
  owner: "[Security contact](https://phish.example.com) <!-- hidden",
  description: "<details><summary>ok</summary>*x* `y` ~~z~~ | a\\b\nnext <img src=x>",
  connectionLimit: 5,
});

function evilRow(): string[] {
  const dev = loadEnvironment("dev");
  const text = renderRegistry({ ...dev, tenants: [...dev.tenants, hostile] });
  const row = text.split("\n").find((line) => line.startsWith("| evilcorp |"));
  if (!row) throw new Error("no registry row for evilcorp");
  // Split on the unescaped separators only: an escaped \| stays inside its cell.
  return row
    .slice(2, -2)
    .split(/(?<!\\) \| /)
    .map((c) => c.trim());
}

describe("database registry: owner and description are literal text", () => {
  it("escapes links, images, HTML, the cell separator and backslashes, and keeps one line", () => {
    const cells = evilRow();
    expect(cells).toHaveLength(9);
    expect(cells[2]).toBe("\\[Security contact\\](https://phish.example.com) \\<!-- hidden");
    expect(cells[8]).toBe(
      "\\<details\\>\\<summary\\>ok\\</summary\\>*x* `y` ~~z~~ \\| a\\\\b next \\<img src=x\\>",
    );
  });

  it("leaves no special character unescaped, whatever the text", () => {
    const everything = "\\[]<>| plain text, ![img](x) <b>, e-mail a_b@example.com";
    const escaped = cell(everything);
    // Remove each escape pair: nothing special may remain.
    expect(escaped.replace(/\\[\\[\]<>|]/g, "")).not.toMatch(/[\\[\]<>|]/);
    expect(cell("tenant_db")).toBe("tenant_db");
    expect(cell("founders@example.com")).toBe("founders@example.com");
    expect(cell(undefined)).toBe("-");
  });
});
