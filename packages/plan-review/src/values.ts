/**
 * Attribute-level differences of one planned change, with Terraform's markers applied:
 * `before_sensitive` / `after_sensitive` (a mirror of the value with `true` where it is sensitive,
 * nested to any depth) and `after_unknown` (`true` where the value is known only after apply).
 * Sensitive values never leave this module in clear text.
 */
import type { ReviewPlanChange } from "./plan-json";
import type { ValueShape } from "./provider-shapes";

/** Shown instead of a sensitive value (Terraform's own wording). */
export const SENSITIVE = "(sensitive value)";
/** Shown for a value Terraform only knows after apply (Terraform's own wording). */
export const KNOWN_AFTER_APPLY = "(known after apply)";

/** One step of an attribute path: a key or a list index. */
export type PathStep = string | number;

/** One changed leaf attribute. */
export interface AttributeChange {
  /** `auth[0].secret_arn`, `tags.Name`, `instance_class`. */
  readonly path: string;
  /** Rendered value before (undefined: the attribute did not exist, e.g. on create). */
  readonly before?: string;
  /** Rendered value after (undefined: it goes away, e.g. on delete). */
  readonly after?: string;
  /** True when `replace_paths` names this attribute or one of its parents. */
  readonly forcesReplacement: boolean;
  /** True when either side is sensitive (both rendered as {@link SENSITIVE}). */
  readonly sensitive: boolean;
  /** True when the after value is {@link KNOWN_AFTER_APPLY}. */
  readonly unknown: boolean;
}

/** Options of {@link attributeChanges}. */
export interface AttributeChangeOptions {
  /** Longest rendered value before it is shortened with "…". Default 200. */
  readonly maxValueLength?: number;
  /**
   * Which attributes to list. "changed" (default): only leaves whose value differs, plus unknown
   * ones. "all": every known leaf of either side, changed or not (the raw rendering).
   */
  readonly mode?: "changed" | "all";
  /**
   * How the resource's values nest, from its provider schema (`resourceShape(type)`): sets are
   * compared as sets (an added element is one added entry, not a shift of every index), lists by
   * index, maps and objects by key. Default: none (every array is walked by index).
   */
  readonly shape?: ValueShape;
}

/** `auth[0].secret_arn` from ["auth", 0, "secret_arn"]; keys that are not identifiers are quoted. */
export function formatPath(path: readonly PathStep[]): string {
  let out = "";
  for (const step of path) {
    if (typeof step === "number") out += `[${step}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(step)) out += out === "" ? step : `.${step}`;
    else out += `[${JSON.stringify(step)}]`;
  }
  return out;
}

/** `replace_paths` (lists of steps) as attribute paths, sorted and unique. */
export function replacePathsOf(change: Pick<ReviewPlanChange, "replace_paths">): string[] {
  const paths = (change.replace_paths ?? []).flatMap((raw) =>
    Array.isArray(raw)
      ? [
          formatPath(
            raw.filter((s): s is PathStep => typeof s === "string" || typeof s === "number"),
          ),
        ]
      : [],
  );
  return [...new Set(paths)].filter((p) => p !== "").sort(compareStrings);
}

/** Code-unit comparison: deterministic whatever the locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  return value !== null && typeof value === "object";
}

/** The marker mirror one step down (a `true` marker covers the whole subtree). */
function child(marker: unknown, step: PathStep): unknown {
  if (marker === true) return true;
  if (Array.isArray(marker) && typeof step === "number") return marker[step];
  if (isObject(marker) && typeof step === "string") return marker[step];
  return undefined;
}

function at(value: unknown, step: PathStep): unknown {
  if (Array.isArray(value) && typeof step === "number") return value[step];
  if (isObject(value) && typeof step === "string") return value[step];
  return undefined;
}

/** Deep equality of JSON values. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]))
    );
  }
  return false;
}

/** Does the marker mirror contain `true` anywhere (i.e. something below is sensitive/unknown)? */
function anyTrue(marker: unknown): boolean {
  if (marker === true) return true;
  if (Array.isArray(marker)) return marker.some(anyTrue);
  if (isObject(marker)) return Object.values(marker).some(anyTrue);
  return false;
}

/** A JSON value as Terraform would print it, shortened to `max` characters. */
export function renderValue(value: unknown, max = 200): string {
  const text = value === undefined ? "null" : JSON.stringify(value);
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 1))}… (${text.length} chars)`;
}

function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isObject(value)) return Object.keys(value).length === 0;
  return false;
}

interface Walk {
  readonly before: unknown;
  readonly after: unknown;
  readonly beforeSensitive: unknown;
  readonly afterSensitive: unknown;
  readonly afterUnknown: unknown;
  /** The change creates the object (before is null). */
  readonly creating: boolean;
  /** The change deletes the object (after is null). */
  readonly deleting: boolean;
  /** Schema shape of this value (undefined: primitive, flat object or not known). */
  readonly shape: ValueShape | undefined;
}

/** The schema shape one step down. */
function childShape(shape: ValueShape | undefined, step: PathStep): ValueShape | undefined {
  if (shape === undefined) return undefined;
  if (shape.kind !== undefined) return shape.element;
  return typeof step === "string" ? shape.attributes?.[step] : undefined;
}

/** A value with its sensitive parts masked and its unknown parts marked, for a whole-element view. */
function maskedValue(value: unknown, sensitive: unknown, unknown: unknown): unknown {
  if (sensitive === true) return SENSITIVE;
  if (unknown === true) return KNOWN_AFTER_APPLY;
  if (Array.isArray(value) || Array.isArray(unknown)) {
    const length = Math.max(
      Array.isArray(value) ? value.length : 0,
      Array.isArray(unknown) ? unknown.length : 0,
    );
    return Array.from({ length }, (_, i) =>
      maskedValue(at(value, i), child(sensitive, i), child(unknown, i)),
    );
  }
  if (isObject(value) || isObject(unknown)) {
    const keys = new Set([
      ...(isObject(value) ? Object.keys(value) : []),
      ...(isObject(unknown) ? Object.keys(unknown).filter((k) => anyTrue(unknown[k])) : []),
    ]);
    const out: Record<string, unknown> = {};
    for (const key of [...keys].sort(compareStrings))
      out[key] = maskedValue(at(value, key), child(sensitive, key), child(unknown, key));
    return out;
  }
  return value;
}

/**
 * The leaf attributes a change touches, in path order. Nested objects and lists are walked
 * (lists by index, as `terraform show` prints them); a subtree marked sensitive or unknown as a
 * whole is one leaf. On create, null and empty values are left out (Terraform prints neither).
 */
export function attributeChanges(
  change: ReviewPlanChange,
  options: AttributeChangeOptions = {},
): AttributeChange[] {
  const max = options.maxValueLength ?? 200;
  const mode = options.mode ?? "changed";
  const replacePaths = replacePathsOf(change);
  const forces = (path: string) =>
    replacePaths.some((p) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`));
  const walk: Walk = {
    before: change.before,
    after: change.after,
    beforeSensitive: change.before_sensitive,
    afterSensitive: change.after_sensitive,
    afterUnknown: change.after_unknown,
    creating: change.before === null || change.before === undefined,
    deleting: change.after === null || change.after === undefined,
    shape: options.shape,
  };
  const out: AttributeChange[] = [];

  const visit = (path: PathStep[], w: Walk): void => {
    const name = formatPath(path);
    const unknown = w.afterUnknown === true && !w.deleting;
    const sensitive = w.beforeSensitive === true || w.afterSensitive === true;
    const beforeExists = !w.creating && w.before !== undefined;
    const afterExists = !w.deleting && (w.after !== undefined || unknown);
    if (unknown) {
      out.push({
        path: name,
        before: beforeExists && w.before !== null ? leaf(w.before, w.beforeSensitive) : undefined,
        after: KNOWN_AFTER_APPLY,
        forcesReplacement: forces(name),
        sensitive,
        unknown: true,
      });
      return;
    }
    if (sensitive) {
      if (w.deleting && mode === "changed") return;
      const changed = !jsonEqual(w.before, w.after) || w.creating;
      if (mode === "all" || changed) {
        if (w.creating && isEmpty(w.after)) return;
        out.push({
          path: name,
          before: beforeExists ? SENSITIVE : undefined,
          after: afterExists ? SENSITIVE : undefined,
          forcesReplacement: forces(name),
          sensitive: true,
          unknown: false,
        });
      }
      return;
    }
    if (w.shape?.kind === "set" && (Array.isArray(w.before) || Array.isArray(w.after))) {
      visitSet(name, w);
      return;
    }
    const containers = isContainer(w.before) || isContainer(w.after);
    const unknownBelow = anyTrue(w.afterUnknown);
    if (containers && (path.length === 0 || bothSameShape(w.before, w.after) || unknownBelow)) {
      const steps = childSteps(w.before, w.after, w.afterUnknown);
      for (const step of steps) {
        visit([...path, step], {
          ...w,
          before: at(w.before, step),
          after: at(w.after, step),
          beforeSensitive: child(w.beforeSensitive, step),
          afterSensitive: child(w.afterSensitive, step),
          afterUnknown: child(w.afterUnknown, step),
          shape: childShape(w.shape, step),
        });
      }
      return;
    }
    if (path.length === 0) return;
    const changed = !jsonEqual(w.before, w.after);
    if (mode === "changed" && !changed && !w.creating) return;
    if (w.creating && isEmpty(w.after)) return;
    if (w.deleting && mode === "changed") return;
    if (w.deleting && isEmpty(w.before)) return;
    if (mode === "all" && !changed && isEmpty(w.after)) return;
    out.push({
      path: name,
      before: beforeExists && w.before !== undefined ? renderValue(w.before, max) : undefined,
      after: afterExists ? renderValue(w.after, max) : undefined,
      forcesReplacement: forces(name),
      sensitive: false,
      unknown: false,
    });
  };

  // A set has no positions: an element is either in both sides (unchanged) or only in one (removed
  // or added). Elements with parts known only after apply never match (Terraform plans them so).
  const visitSet = (name: string, w: Walk): void => {
    const side = (values: unknown, sensitive: unknown, unknown: unknown, exists: boolean) =>
      (exists && Array.isArray(values) ? values : []).map((value, i) => ({
        value,
        masked: maskedValue(value, child(sensitive, i), child(unknown, i)),
        pending: anyTrue(child(unknown, i)),
        matched: false,
      }));
    const before = side(w.before, w.beforeSensitive, undefined, !w.creating);
    const after = side(w.after, w.afterSensitive, w.afterUnknown, !w.deleting);
    const kept: unknown[] = [];
    for (const a of after) {
      if (a.pending) continue;
      const b = before.find(
        (x) => !x.matched && jsonEqual(withoutUnset(x.value), withoutUnset(a.value)),
      );
      if (b) {
        b.matched = true;
        a.matched = true;
        kept.push(a.masked);
      }
    }
    const entry = (before: unknown, after: unknown): AttributeChange => ({
      path: name,
      ...(before !== undefined ? { before: renderValue(before, max) } : {}),
      ...(after !== undefined ? { after: renderValue(after, max) } : {}),
      forcesReplacement: forces(name),
      sensitive: JSON.stringify([before, after]).includes(JSON.stringify(SENSITIVE)),
      unknown:
        after !== undefined && JSON.stringify(after).includes(JSON.stringify(KNOWN_AFTER_APPLY)),
    });
    if (mode === "all") for (const k of kept) out.push(entry(k, k));
    if (w.deleting && mode === "changed") return;
    for (const b of before) if (!b.matched) out.push(entry(b.masked, undefined));
    for (const a of after) if (!a.matched) out.push(entry(undefined, a.masked));
  };

  const leaf = (value: unknown, marker: unknown): string =>
    marker === true ? SENSITIVE : anyTrue(marker) ? SENSITIVE : renderValue(value, max);

  visit([], walk);
  return out;
}

/**
 * The value with unset attributes (null, "", empty lists and objects) left out. Providers built
 * on the plugin SDK store an unset optional string of a set element as "" while the plan carries
 * null for it: the same element, which set comparison must not count as removed and re-added.
 */
function withoutUnset(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUnset);
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const kept = withoutUnset(v);
    if (kept === null || kept === undefined || kept === "" || isEmpty(kept)) continue;
    out[key] = kept;
  }
  return out;
}

/** Objects with objects, lists with lists: walk into them; anything else is a leaf change. */
function bothSameShape(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return (Array.isArray(a) || a == null) && (Array.isArray(b) || b == null);
  }
  return (isObject(a) || a == null) && (isObject(b) || b == null);
}

function childSteps(before: unknown, after: unknown, unknown: unknown): PathStep[] {
  if (Array.isArray(before) || Array.isArray(after) || Array.isArray(unknown)) {
    const length = Math.max(
      Array.isArray(before) ? before.length : 0,
      Array.isArray(after) ? after.length : 0,
      Array.isArray(unknown) ? unknown.length : 0,
    );
    return Array.from({ length }, (_, i) => i);
  }
  const keys = new Set<string>([
    ...(isObject(before) ? Object.keys(before) : []),
    ...(isObject(after) ? Object.keys(after) : []),
    ...(isObject(unknown) ? Object.keys(unknown).filter((k) => anyTrue(unknown[k])) : []),
  ]);
  return [...keys].sort(compareStrings);
}

/**
 * Removes sensitive values from a JSON value (replacing them with {@link SENSITIVE}) following a
 * Terraform sensitivity mirror. Used for anything rendered as a whole (e.g. the raw plan).
 */
export function maskSensitive(value: unknown, marker: unknown): unknown {
  if (marker === true) return SENSITIVE;
  if (Array.isArray(value)) return value.map((v, i) => maskSensitive(v, child(marker, i)));
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort(compareStrings))
      out[key] = maskSensitive(value[key], child(marker, key));
    return out;
  }
  return value;
}

/** Reads a string attribute from the after value, falling back to the before value. */
export function stringAttribute(change: ReviewPlanChange, key: string): string | undefined {
  for (const side of [change.after, change.before]) {
    const value = isObject(side) ? side[key] : undefined;
    if (typeof value === "string" && value !== "") return value;
  }
  return undefined;
}
