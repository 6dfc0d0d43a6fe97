import {
  describeYamlErrors,
  listWithCount,
  type TenantConfig,
  type TenantState,
  tenantDatabaseName,
  tenantSchema,
  visibleJson,
} from "@pgforks/config";
import {
  type Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Pair,
  parseDocument,
  type ToStringOptions,
  type YAMLMap,
  YAMLSeq,
} from "yaml";

/**
 * How a tenants.yaml is written back. `lineWidth: 0` never folds long strings (descriptions) and
 * `flowCollectionPadding: false` keeps `[pg_trgm, citext]` as people write it, so a file that
 * only gets a new entry round-trips byte for byte everywhere else.
 */
export const YAML_WRITE_OPTIONS: ToStringOptions = { lineWidth: 0, flowCollectionPadding: false };

/**
 * Order of the keys of a new entry: the order of the committed files (identity, ownership,
 * capacity, features), so reviewers read new entries like old ones.
 */
export const NEW_TENANT_KEY_ORDER = [
  "name",
  "database",
  "owner",
  "description",
  "connectionLimit",
  "extensions",
  "readOnlyRole",
] as const;

/** What `add` writes: CLI values, kept raw (unknown types are left for the schema to reject). */
export type NewTenantEntry = {
  readonly [K in (typeof NEW_TENANT_KEY_ORDER)[number]]?: unknown;
};

/** A tenants.yaml parsed for editing: comments, order and flow/block style are kept. */
export class TenantsDocument {
  private constructor(
    readonly original: string,
    readonly doc: Document,
  ) {}

  /** Parses `text`; throws with the YAML errors (line:col) when it is not valid YAML. */
  static parse(text: string): TenantsDocument {
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { uniqueKeys: true, lineCounter });
    if (doc.errors.length > 0) {
      throw new Error(
        `invalid YAML: ${describeYamlErrors(doc, lineCounter)
          .map(
            (r) => `${r.line ?? "?"}:${r.column ?? "?"} ${r.path ? `${r.path}: ` : ""}${r.message}`,
          )
          .join("; ")}`,
      );
    }
    return new TenantsDocument(text, doc);
  }

  /** True when serializing the untouched document gives the original text back. */
  get roundTrips(): boolean {
    return (
      this.inOriginalStyle(parseDocument(this.original).toString(YAML_WRITE_OPTIONS)) ===
      this.original
    );
  }

  toString(): string {
    return this.inOriginalStyle(this.doc.toString(YAML_WRITE_OPTIONS));
  }

  /**
   * `text` (as the YAML library writes it: LF, no byte-order mark) with the original file's
   * byte-order mark and CRLF line endings put back, so a file saved by a Windows editor gets a
   * one-entry diff, not a rewrite of every line. Mixed line endings are left as LF.
   */
  private inOriginalStyle(text: string): string {
    const bom = this.original.startsWith("\uFEFF") ? "\uFEFF" : "";
    const crlf = this.original.includes("\r\n") && !/(^|[^\r])\n/.test(this.original);
    const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
    return bom + (crlf ? body.replace(/\r?\n/g, "\r\n") : body);
  }

  /** Names of the entries, in file order (entries without a string name are skipped). */
  names(): string[] {
    return this.entries().flatMap(({ map }) => {
      const name = map.get("name");
      return typeof name === "string" ? [name] : [];
    });
  }

  /**
   * Every entry read on its own with the tenant schema (defaults filled in); entries that are
   * invalid by themselves are left out. Used for "before" views when the file as a whole may
   * not validate (e.g. over budget, which `suspend` is meant to fix).
   */
  tenants(): TenantConfig[] {
    return this.entries().flatMap(({ map }) => {
      const parsed = tenantSchema.safeParse(map.toJSON());
      return parsed.success ? [parsed.data] : [];
    });
  }

  /** The entry named `name`, as a tenant (defaults filled in) when it is valid by itself. */
  tenant(name: string): TenantConfig | undefined {
    return this.tenants().find((t) => t.name === name);
  }

  /** Appends an entry at the end of `tenants`, in the style of the entries above it. */
  append(entry: NewTenantEntry): void {
    const seq = this.tenantsSeq();
    const ordered: Record<string, unknown> = {};
    for (const key of NEW_TENANT_KEY_ORDER) {
      const value = entry[key];
      if (value !== undefined) ordered[key] = value;
    }
    const node = this.doc.createNode(ordered) as YAMLMap;
    const extensions = node.get("extensions", true);
    // Lists of extensions are short: flow style, as in the committed files.
    if (isSeq(extensions)) extensions.flow = true;
    const last = seq.items.at(-1);
    if (isMap(last)) {
      node.flow = last.flow ?? false;
      node.spaceBefore = last.spaceBefore;
    }
    if (seq.items.length === 0) seq.flow = false;
    seq.items.push(node);
  }

  /**
   * Sets the lifecycle state of the entry `name`. `active` removes the key (it is the default);
   * `dropped` also writes confirmDrop right after it; every other state removes confirmDrop,
   * which the schema only allows with dropped.
   */
  setState(name: string, state: TenantState, confirmDrop?: string): void {
    const map = this.entry(name);
    if (state === "active") {
      map.delete("state");
    } else {
      map.set("state", state);
    }
    map.delete("confirmDrop");
    if (state === "dropped") {
      const at = map.items.findIndex((p) => keyOf(p) === "state");
      map.items.splice(at + 1, 0, this.doc.createPair("confirmDrop", confirmDrop) as Pair);
    }
  }

  /** The database name of the entry `name` as written (default: the tenant name). */
  databaseOf(name: string): string {
    const database = this.entry(name).get("database");
    return tenantDatabaseName({
      name,
      database: typeof database === "string" ? database : undefined,
    });
  }

  /** Throws with the list of existing names when there is no entry `name`. */
  entry(name: string): YAMLMap {
    const found = this.entries().find(({ map }) => map.get("name") === name);
    if (!found) {
      const names = this.names();
      throw new UnknownTenantError(name, names);
    }
    return found.map;
  }

  private entries(): Array<{ index: number; map: YAMLMap }> {
    const seq = this.doc.get("tenants", true);
    if (!isSeq(seq)) return [];
    return seq.items.flatMap((item, index) => (isMap(item) ? [{ index, map: item }] : []));
  }

  private tenantsSeq(): YAMLSeq {
    const existing = this.doc.get("tenants", true);
    if (isSeq(existing)) return existing;
    // `tenants:` with no value (null) or a missing key: start a block list.
    const seq = new YAMLSeq(this.doc.schema);
    if (isMap(this.doc.contents)) {
      this.doc.set("tenants", seq);
    } else {
      this.doc.contents = this.doc.createNode({ tenants: seq }) as never;
    }
    return seq;
  }
}

function keyOf(pair: unknown): unknown {
  if (!isPair(pair)) return undefined;
  return isScalar(pair.key) ? pair.key.value : pair.key;
}

/** Length of the prefix `a` and `b` share. */
function sharedPrefix(a: string, b: string): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

/**
 * No entry with that name: the message lists the names that exist, those that start most like
 * the name given first (a typo's intended name), the rest counted past ten.
 */
export class UnknownTenantError extends Error {
  constructor(
    readonly tenant: string,
    readonly existing: readonly string[],
  ) {
    const likeFirst = [...existing].sort(
      (a, b) => sharedPrefix(b, tenant) - sharedPrefix(a, tenant),
    );
    super(
      `no tenant named ${visibleJson(tenant)}${existing.length > 0 ? ` (existing: ${listWithCount(likeFirst)})` : " (the file has no tenants)"}`,
    );
    this.name = "UnknownTenantError";
  }
}
