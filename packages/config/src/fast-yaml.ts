import {
  COLLECTION_STYLE,
  CORE_SCHEMA,
  constructFromEvents,
  defineMappingTag,
  defineScalarTag,
  EVENT_ID,
  type Event,
  mapTag,
  NOT_RESOLVED,
  parseEvents,
  SCALAR_STYLE,
} from "js-yaml";

/**
 * The quick way to read a configuration file, for the common case of a valid file: js-yaml, some
 * fifteen times faster than the `yaml` library's Document (which keeps every node's position for
 * the messages), with the scalars resolved as the `yaml` library resolves them (YAML 1.2 core).
 *
 * It declines (FAST_YAML_DECLINED) every text it might read otherwise than the precise path
 * (load.ts, parseYaml): anything with a construct that path treats specially, and anything js-yaml
 * refuses. The caller uses its value only when the file is then valid in every respect; on any
 * problem it reads the file again the precise way, so every message, with its line and column, is
 * the precise path's. test/fast-yaml.test.ts runs both over every YAML file of the repository and
 * a table of tricky scalars and structures.
 */
export const FAST_YAML_DECLINED: unique symbol = Symbol("fast YAML path declined");

/**
 * What the quick path leaves to the precise one, by a look at the characters (it may send a
 * harmless file there, never lets a special one through):
 * - a line starting `---`, `...` (also indented) or `%`: document markers and directives;
 * - `:` or `?` standing alone after a line start or blank: an empty or explicit key (js-yaml
 *   reads `: a: b` and `- : - c`, which the `yaml` library refuses);
 * - `]` or `}` followed on its line by more than `,`, `]`, `}` or a comment: js-yaml reads on
 *   after a flow collection (`- [1, 2]x: y`), which the `yaml` library refuses;
 * - `|` or `>` with an indentation digit (`|2`, `>-1`): js-yaml counts it from another place;
 * - `&`, `*` or `!` at the start of a node (after a line start, blank or indicator): anchors,
 *   aliases and tags, which the precise path refuses or resolves on its own;
 * - `<<`: a merge key;
 * - a tab, a byte-order mark, a control or non-character: where YAML parsers differ most (the
 *   text is decoded UTF-8 without U+FFFD, so it holds no lone surrogate);
 * and by hasLongLine, a line of LONGEST_LINE characters or more.
 */
const SPECIAL =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is its purpose
  /^ *(?:---|\.\.\.)|^%|(?:^|\s)[:?](?:\s|$)|[|>][-+]?[1-9]|[\]}](?! *(?:[,\]}\r\n]|$| #))|(?:^|[\s[\]{},:?-])[&*!]|<<|[\t\uFEFF\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u2028\u2029\uFFFE\uFFFF]/m;

/**
 * The `yaml` library refuses an implicit key of 1024 characters or more (`kkk...: v`), which
 * js-yaml reads; an implicit key stands on one line, so a file with no line as long has none.
 */
const LONGEST_LINE = 1000;

function hasLongLine(text: string): boolean {
  let start = 0;
  for (;;) {
    const end = text.indexOf("\n", start);
    if ((end === -1 ? text.length : end) - start >= LONGEST_LINE) return true;
    if (end === -1) return false;
    start = end + 1;
  }
}

/**
 * Integers as the `yaml` library's core schema reads them (intOct, int, intHex): parseInt, so a
 * number too long for a double is still a number (Infinity for 400 digits), never a string.
 */
const intTag = defineScalarTag("tag:yaml.org,2002:int", {
  implicit: true,
  implicitFirstChars: ["-", "+", ..."0123456789"],
  resolve: (source) => {
    if (/^0o[0-7]+$/.test(source)) return Number.parseInt(source.slice(2), 8);
    if (/^[-+]?[0-9]+$/.test(source)) return Number.parseInt(source, 10);
    if (/^0x[0-9a-fA-F]+$/.test(source)) return Number.parseInt(source.slice(2), 16);
    return NOT_RESOLVED;
  },
  identify: (data) => Number.isInteger(data),
});

/** Floats as the `yaml` library's core schema reads them (floatNaN, floatExp, float): 1e400 is Infinity. */
const floatTag = defineScalarTag("tag:yaml.org,2002:float", {
  implicit: true,
  implicitFirstChars: ["-", "+", ".", ..."0123456789"],
  resolve: (source) => {
    if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(source)) {
      if (source.slice(-3).toLowerCase() === "nan") return Number.NaN;
      return source.startsWith("-") ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    }
    if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(source)) {
      return Number.parseFloat(source);
    }
    if (/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(source)) return Number.parseFloat(source);
    return NOT_RESOLVED;
  },
  identify: (data) => typeof data === "number",
});

/** A key as the `yaml` library's toJS writes it into an object: null is "", others String(key). */
function keyString(key: unknown): string | undefined {
  if (key === null) return "";
  return typeof key === "object" ? undefined : String(key);
}

/**
 * Mappings as plain objects with the `yaml` library's keys (js-yaml's own writes a null key as
 * "null"). A collection as key (`[a]: b`) is refused, which declines the file.
 */
const objectMapTag = defineMappingTag<Record<string, unknown>>("tag:yaml.org,2002:map", {
  create: () => ({}),
  identify: mapTag.identify,
  addPair: (container, key, value) => {
    const name = keyString(key);
    if (name === undefined) return "a collection as a key";
    if (name === "__proto__") {
      Object.defineProperty(container, name, {
        value,
        enumerable: true,
        configurable: true,
        writable: true,
      });
    } else {
      container[name] = value;
    }
    return "";
  },
  has: (container, key) => {
    const name = keyString(key);
    return name !== undefined && Object.hasOwn(container, name);
  },
  keys: (container) => Object.keys(container),
  get: (container, key) => container[keyString(key) ?? ""],
});

const SCHEMA = CORE_SCHEMA.withTags(intTag, floatTag, objectMapTag);

/** Whether only indentation and `- ` indicators stand before `offset` on its line. */
function startsItsLine(text: string, offset: number): boolean {
  for (let i = offset - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c === 10) return true; // \n
    if (c === 45) {
      // "-": a sequence indicator only when a blank follows it
      if (text.charCodeAt(i + 1) !== 32) return false;
    } else if (c !== 32) {
      return false;
    }
  }
  return true;
}

/**
 * Whether every key of a block mapping starts its line (after indentation and `- `). js-yaml
 * reads on after a quoted scalar or a flow collection on the same line (`- "a"k: v`, `- [1]x: y`:
 * a second key), which the `yaml` library refuses.
 */
function blockKeysStartTheirLines(text: string, events: readonly Event[]): boolean {
  // Per open collection: whether it is a block mapping, and how many nodes it has had.
  const blockMap: boolean[] = [];
  const seen: number[] = [];
  for (const event of events) {
    if (event.type === EVENT_ID.DOCUMENT) continue;
    if (event.type === EVENT_ID.POP) {
      blockMap.pop();
      seen.pop();
      continue;
    }
    const top = seen.length - 1;
    if (top >= 0) {
      if (blockMap[top] && (seen[top] as number) % 2 === 0) {
        let start = -1;
        if (event.type === EVENT_ID.SCALAR) {
          const quoted =
            event.style === SCALAR_STYLE.SINGLE_QUOTED ||
            event.style === SCALAR_STYLE.DOUBLE_QUOTED;
          start = quoted ? event.valueStart - 1 : event.valueStart;
        } else if (event.type !== EVENT_ID.ALIAS) {
          start = event.start;
        }
        if (start < 0 || !startsItsLine(text, start)) return false;
      }
      seen[top] = (seen[top] as number) + 1;
    }
    if (event.type === EVENT_ID.MAPPING || event.type === EVENT_ID.SEQUENCE) {
      blockMap.push(event.type === EVENT_ID.MAPPING && event.style === COLLECTION_STYLE.BLOCK);
      seen.push(0);
    }
  }
  return true;
}

/**
 * The JS value of `text`, as the precise path would give it, or FAST_YAML_DECLINED when the text
 * holds a construct left to the precise path, js-yaml refuses it (a syntax error, a duplicate
 * key, ...), or it is not a mapping (empty, a list, a scalar): the precise path then says what it
 * says of it.
 */
export function fastYamlValue(text: string): unknown {
  if (SPECIAL.test(text) || hasLongLine(text)) return FAST_YAML_DECLINED;
  let value: unknown;
  try {
    const events = parseEvents(text, {});
    if (!blockKeysStartTheirLines(text, events)) return FAST_YAML_DECLINED;
    const documents = constructFromEvents(events, { source: text, schema: SCHEMA, maxAliases: 0 });
    if (documents.length !== 1) return FAST_YAML_DECLINED;
    value = documents[0];
  } catch {
    // Any error (js-yaml's YAMLException, a stack overflow): the precise path reads it again.
    return FAST_YAML_DECLINED;
  }
  // A configuration file is a mapping; anything else is an error the precise path words. (At the
  // top level, a block scalar's lines may start in column 0, which js-yaml reads otherwise.)
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value
    : FAST_YAML_DECLINED;
}
