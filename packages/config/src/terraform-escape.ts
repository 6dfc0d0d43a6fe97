/**
 * Makes a config string literal text in Terraform: every `${` (interpolation) becomes `$${` and
 * every `%{` (template directive) becomes `%%{`, Terraform's escapes for them, so a value such
 * as `${file("/etc/hostname")}` in tenants.yaml reaches the resource as those characters and
 * is never evaluated at plan time. The one helper for every free-text config string that
 * enters a construct; identifiers restricted by a pattern in the schema cannot contain either.
 */
export function terraformLiteral(value: string): string {
  return value.replace(/([$%])\{/g, (_match, sigil: string) => `${sigil}${sigil}{`);
}

/** terraformLiteral applied to every key and value of a string map (tags). */
export function terraformLiteralMap(map: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(map).map(([key, value]) => [terraformLiteral(key), terraformLiteral(value)]),
  );
}
