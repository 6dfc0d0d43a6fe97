// Plan JSON here is synthetic, shaped exactly like Terraform's "JSON Output Format" document
// (resource_changes[].change with before/after, after_unknown, before_sensitive, after_sensitive
// and replace_paths); see test-helpers.ts.

import { resourceShape } from "../src/provider-shapes";
import { renderRawPlan, renderReview } from "../src/render";
import { buildReview } from "../src/review";
import {
  attributeChanges,
  formatPath,
  KNOWN_AFTER_APPLY,
  maskSensitive,
  replacePathsOf,
  SENSITIVE,
} from "../src/values";
import { planJson, resourceChange } from "./test-helpers";

const SECRET_BEFORE = "hunter2-before";
const SECRET_AFTER = "hunter2-after";

/** A proxy whose nested auth blocks carry a sensitive field and an unknown one. */
const proxyUpdate = resourceChange("aws_db_proxy.proxy", {
  actions: ["update"],
  before: {
    name: "pgforks-prod",
    idle_client_timeout: 1800,
    auth: [
      { description: "tenant fintech", secret_arn: "arn:1", password: SECRET_BEFORE },
      { description: "tenant saas", secret_arn: "arn:2", password: SECRET_BEFORE },
    ],
    tags: { team: "db" },
  },
  after: {
    name: "pgforks-prod",
    idle_client_timeout: 900,
    auth: [
      { description: "tenant fintech", secret_arn: "arn:1", password: SECRET_AFTER },
      { description: "tenant saas", password: SECRET_BEFORE },
      { description: "tenant healthtech", password: SECRET_AFTER },
    ],
    tags: { team: "db" },
  },
  afterUnknown: { auth: [{}, { secret_arn: true }, { secret_arn: true }], tags: {} },
  beforeSensitive: { auth: [{ password: true }, { password: true }], tags: {} },
  afterSensitive: { auth: [{ password: true }, { password: true }, { password: true }], tags: {} },
});

describe("attributeChanges", () => {
  const changes = attributeChanges(proxyUpdate.change);
  const byPath = (path: string) => changes.find((c) => c.path === path);

  it("lists only changed leaves, with nested paths", () => {
    expect(byPath("idle_client_timeout")).toMatchObject({ before: "1800", after: "900" });
    expect(byPath("name")).toBeUndefined();
    expect(byPath("tags.team")).toBeUndefined();
    expect(byPath("auth[2].description")).toMatchObject({
      before: undefined,
      after: '"tenant healthtech"',
    });
  });

  it("masks nested sensitive values on both sides and never shows them", () => {
    expect(byPath("auth[0].password")).toMatchObject({
      before: SENSITIVE,
      after: SENSITIVE,
      sensitive: true,
    });
    // Unchanged sensitive values are not listed (equal values, both sensitive).
    expect(byPath("auth[1].password")).toBeUndefined();
    const text = JSON.stringify(changes);
    expect(text).not.toContain(SECRET_BEFORE);
    expect(text).not.toContain(SECRET_AFTER);
  });

  it("shows nested unknown values as known after apply", () => {
    expect(byPath("auth[1].secret_arn")).toMatchObject({
      before: '"arn:2"',
      after: KNOWN_AFTER_APPLY,
      unknown: true,
    });
    expect(byPath("auth[2].secret_arn")).toMatchObject({ after: KNOWN_AFTER_APPLY });
  });

  it("masks a whole object marked sensitive, and a sensitive value becoming unknown", () => {
    const change = resourceChange("aws_secretsmanager_secret_version.v", {
      actions: ["update"],
      before: { secret_string: SECRET_BEFORE, config: { a: SECRET_BEFORE } },
      after: { config: { a: SECRET_AFTER } },
      afterUnknown: { secret_string: true },
      beforeSensitive: { secret_string: true, config: true },
      afterSensitive: { secret_string: true, config: true },
    }).change;
    const found = attributeChanges(change);
    expect(found.find((c) => c.path === "secret_string")).toMatchObject({
      before: SENSITIVE,
      after: KNOWN_AFTER_APPLY,
    });
    expect(found.find((c) => c.path === "config")).toMatchObject({
      before: SENSITIVE,
      after: SENSITIVE,
    });
    expect(JSON.stringify(found)).not.toMatch(/hunter2/);
  });

  it("marks attributes under replace_paths as forcing the replacement", () => {
    const change = resourceChange("aws_db_instance.db", {
      actions: ["delete", "create"],
      before: { engine: "postgres", storage_encrypted: false, tags: { a: "1" } },
      after: { engine: "postgres", storage_encrypted: true, tags: { a: "2" } },
      replacePaths: [["storage_encrypted"]],
    }).change;
    const found = attributeChanges(change);
    expect(found.find((c) => c.path === "storage_encrypted")?.forcesReplacement).toBe(true);
    expect(found.find((c) => c.path === "tags.a")?.forcesReplacement).toBe(false);
    expect(replacePathsOf(change)).toEqual(["storage_encrypted"]);
  });

  it("lists known values on create, without nulls and empties", () => {
    const change = resourceChange("aws_kms_key.k", {
      actions: ["create"],
      after: { description: "key", policy: null, tags: {}, enable_key_rotation: true },
      afterUnknown: { arn: true, tags: {} },
    }).change;
    expect(attributeChanges(change).map((c) => `${c.path}=${c.after}`)).toEqual([
      `arn=${KNOWN_AFTER_APPLY}`,
      'description="key"',
      "enable_key_rotation=true",
    ]);
  });
});

describe("attributeChanges with the provider schema's shapes", () => {
  const shape = resourceShape("aws_db_proxy");
  const entry = (tenant: string, arn?: string) => ({
    auth_scheme: "SECRETS",
    description: `tenant ${tenant}`,
    iam_auth: "DISABLED",
    ...(arn ? { secret_arn: arn } : {}),
  });
  // Terraform orders set elements by their hash: the new element lands first, shifting the rest.
  const addTenant = resourceChange("aws_db_proxy.proxy", {
    actions: ["update"],
    before: { auth: [entry("fintech", "arn:1"), entry("saas", "arn:2")] },
    after: { auth: [entry("edtech"), entry("fintech", "arn:1"), entry("saas", "arn:2")] },
    afterUnknown: { auth: [{ secret_arn: true }, {}, {}] },
  }).change;

  it("knows from the generated extract that aws_db_proxy.auth is a set", () => {
    expect(shape?.attributes?.auth?.kind).toBe("set");
    expect(resourceShape("aws_db_instance")?.attributes?.tags?.kind).toBe("map");
  });

  it("compares a set as a set: one added element is one added entry, nothing changed", () => {
    const found = attributeChanges(addTenant, { shape });
    expect(found).toEqual([
      {
        path: "auth",
        after: JSON.stringify({ ...entry("edtech"), secret_arn: KNOWN_AFTER_APPLY }),
        forcesReplacement: false,
        sensitive: false,
        unknown: true,
      },
    ]);
    // By position (no schema) the same plan reads as existing tenants swapping entries.
    expect(
      attributeChanges(addTenant).filter((c) => c.before !== undefined && c.after !== undefined)
        .length,
    ).toBeGreaterThan(0);
  });

  it('matches elements whose only difference is an unset attribute ("" in state, null in the plan)', () => {
    const change = resourceChange("aws_db_proxy.proxy", {
      actions: ["update"],
      before: { auth: [{ ...entry("fintech", "arn:1"), username: "" }] },
      after: { auth: [{ ...entry("fintech", "arn:1"), username: null }, entry("edtech")] },
      afterUnknown: { auth: [{}, { secret_arn: true }] },
    }).change;
    const found = attributeChanges(change, { shape });
    expect(found).toHaveLength(1);
    expect(found[0]?.before).toBeUndefined();
    expect(found[0]?.after).toContain('"description":"tenant edtech"');
  });

  it("shows a removed element once, with its sensitive parts masked", () => {
    const change = resourceChange("aws_db_proxy.proxy", {
      actions: ["update"],
      before: {
        auth: [entry("fintech", "arn:1"), { ...entry("saas", "arn:2"), pw: SECRET_BEFORE }],
      },
      after: { auth: [entry("fintech", "arn:1")] },
      beforeSensitive: { auth: [{}, { pw: true }] },
    }).change;
    const found = attributeChanges(change, { shape });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ path: "auth", sensitive: true });
    expect(found[0]?.after).toBeUndefined();
    expect(found[0]?.before).toContain('"pw":"(sensitive value)"');
    expect(JSON.stringify(found)).not.toContain(SECRET_BEFORE);
  });
});

describe("formatPath / maskSensitive", () => {
  it("renders steps as Terraform attribute paths", () => {
    expect(formatPath(["auth", 0, "secret_arn"])).toBe("auth[0].secret_arn");
    expect(formatPath(["tags", "pgforks:tenant"])).toBe('tags["pgforks:tenant"]');
  });

  it("replaces sensitive parts of a value following the marker mirror", () => {
    expect(
      maskSensitive({ a: [{ p: "x", q: "y" }], b: "z" }, { a: [{ p: true }], b: false }),
    ).toEqual({ a: [{ p: SENSITIVE, q: "y" }], b: "z" });
  });
});

describe("sensitive values in the rendered review", () => {
  it("appear nowhere: attribute details, raw plan and the whole comment", () => {
    const review = buildReview([{ stack: "prod-platform", plan: planJson([proxyUpdate]) }], {
      after: [],
    });
    const stack = review.stacks[0];
    expect(stack).toBeDefined();
    const raw = renderRawPlan(stack as NonNullable<typeof stack>);
    const markdown = renderReview(review);
    for (const text of [raw, markdown]) {
      expect(text).not.toContain(SECRET_BEFORE);
      expect(text).not.toContain(SECRET_AFTER);
      expect(text).toContain(SENSITIVE);
      expect(text).toContain(KNOWN_AFTER_APPLY);
    }
  });
});
