import * as crypto from "node:crypto";

/**
 * The Terraform name (logical id) cdktf 0.21 gives an element whose construct path below its
 * stack is `components`: the same scheme as cdktf's private makeUniqueId ("Default" left out,
 * consecutive duplicates dropped, characters outside [A-Za-z0-9_-] removed, joined by "_", plus
 * the first 8 hex digits of the MD5 of the "/"-joined path). Pure, so the tenant footprint can name
 * addresses without building constructs; the constructs check it against the ids cdktf allocates.
 */
export function logicalIdOfPath(path: readonly string[]): string {
  const components = path.filter((c) => c !== "Default");
  const clean = (s: string) => (UNCLEAN.test(s) ? s.replace(UNCLEAN_ALL, "") : s);
  if (components.length === 1) {
    const only = clean(components[0] as string);
    if (only.length <= 255) return only;
  }
  const hash = md5Hex(components.join("/")).slice(0, 8).toUpperCase();
  const human: string[] = [];
  for (const c of components) {
    const last = human[human.length - 1];
    if (last === undefined || !last.endsWith(c)) human.push(c);
  }
  return `${human
    .filter((c) => c !== "Resource")
    .map(clean)
    .join("_")
    .slice(0, 240)}_${hash}`;
}

/** Characters cdktf removes from a logical id's components. */
const UNCLEAN = /[^A-Za-z0-9_-]/;
const UNCLEAN_ALL = /[^A-Za-z0-9_-]/g;

/**
 * The MD5 of `text` in hex: crypto.hash, one call, where Node has it (>= 20.12; a few times
 * faster than createHash for the many short paths a synth hashes), else createHash.
 */
const md5Hex: (text: string) => string =
  typeof crypto.hash === "function"
    ? (text) => crypto.hash("md5", text)
    : (text) => crypto.createHash("md5").update(text).digest("hex");
