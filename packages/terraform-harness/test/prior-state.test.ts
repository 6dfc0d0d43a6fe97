import type { PlanJson } from "../src/json-output";
import {
  EC2_ID_PREFIX_BY_TYPE,
  fabricatePriorState,
  inferCtyType,
  KNOWN_AFTER_APPLY_VALUES,
  PLACEHOLDER_ACCOUNT,
  sensitivePaths,
} from "../src/prior-state";
import type { ProviderSchemas, ResourceSchema } from "../src/provider-schema";
import { SchemaNotFoundError } from "../src/provider-schema";

const AWS = "registry.terraform.io/hashicorp/aws";

/** Small schemas shaped like `terraform providers schema -json` (attributes as in hashicorp/aws 5.100.0). */
const schemas: ProviderSchemas = {
  format_version: "1.0",
  provider_schemas: {
    [AWS]: {
      resource_schemas: {
        aws_vpc: {
          version: 1,
          block: {
            attributes: {
              id: { type: "string", optional: true, computed: true },
              arn: { type: "string", computed: true },
              cidr_block: { type: "string", optional: true, computed: true },
              enable_dns_support: { type: "bool", optional: true },
              ipv6_netmask_length: { type: "number", optional: true },
              tags: { type: ["map", "string"], optional: true },
              tags_all: { type: ["map", "string"], optional: true, computed: true },
            },
          },
        },
        aws_subnet: {
          version: 1,
          block: {
            attributes: {
              id: { type: "string", computed: true },
              vpc_id: { type: "string", required: true },
              name_tag: { type: "string", optional: true },
            },
          },
        },
        aws_db_instance: {
          version: 2,
          block: {
            attributes: {
              id: { type: "string", computed: true },
              identifier: { type: "string", optional: true, computed: true },
              password: { type: "string", optional: true, sensitive: true },
              password_wo: { type: "string", optional: true, sensitive: true, write_only: true },
              vpc_security_group_ids: { type: ["set", "string"], optional: true, computed: true },
              master_user_secret: {
                type: ["list", ["object", { kms_key_id: "string", secret_arn: "string" }]],
                computed: true,
              },
              port: { type: "number", optional: true, computed: true },
              multi_az: { type: "bool", optional: true, computed: true },
              parameters: { type: ["map", "string"], computed: true },
            },
            block_types: {
              timeouts: {
                nesting_mode: "single",
                block: { attributes: { create: { type: "string", optional: true } } },
              },
              restore_to_point_in_time: {
                nesting_mode: "list",
                max_items: 1,
                block: {
                  attributes: {
                    source_db_instance_identifier: { type: "string", optional: true },
                    use_latest_restorable_time: { type: "bool", optional: true },
                  },
                },
              },
              blue_green_update: {
                nesting_mode: "list",
                block: {
                  attributes: { enabled: { type: "bool", optional: true } },
                  block_types: {
                    secret: {
                      nesting_mode: "list",
                      block: { attributes: { token: { type: "string", sensitive: true } } },
                    },
                  },
                },
              },
            },
          },
        },
        aws_sns_topic: {
          version: 0,
          block: {
            attributes: {
              id: { type: "string", computed: true },
              arn: { type: "string", computed: true },
              fifo_throughput_scope: { type: "string", optional: true, computed: true },
            },
          },
        },
        aws_iam_role: {
          version: 0,
          block: {
            attributes: {
              id: { type: "string", computed: true },
              name: { type: "string", optional: true, computed: true },
              arn: { type: "string", computed: true },
              policy: { type: "string", optional: true },
            },
          },
        },
        aws_framework_thing: {
          version: 0,
          block: {
            attributes: {
              id: { type: "string", computed: true },
              settings: {
                nested_type: {
                  nesting_mode: "single",
                  attributes: {
                    mode: { type: "string", optional: true, computed: true },
                    key: { type: "string", optional: true, sensitive: true },
                  },
                },
                optional: true,
                computed: true,
              },
            },
          },
        },
      },
    },
    "terraform.io/builtin/terraform": {
      resource_schemas: {
        terraform_data: {
          version: 0,
          block: {
            attributes: {
              id: { type: "string", computed: true },
              triggers_replace: { type: "dynamic", optional: true },
            },
          },
        },
      },
    },
  },
};

/** A Terraform interpolation as cdktf writes it: "${expression}". */
function tf(expression: string): string {
  return `\${${expression}}`;
}

interface Planned {
  readonly type: string;
  readonly name: string;
  readonly values: Record<string, unknown>;
  readonly unknown?: unknown;
  readonly provider?: string;
  readonly index?: number;
}

/** A plan JSON shaped like `terraform show -json` (format 1.2) for a few created resources. */
function planOf(resources: readonly Planned[], extra: Partial<PlanJson> = {}): PlanJson {
  const address = (r: Planned) =>
    `${r.type}.${r.name}${r.index !== undefined ? `[${r.index}]` : ""}`;
  return {
    format_version: "1.2",
    terraform_version: "1.11.4",
    planned_values: {
      root_module: {
        resources: resources.map((r) => ({
          address: address(r),
          mode: "managed" as const,
          type: r.type,
          name: r.name,
          ...(r.index !== undefined ? { index: r.index } : {}),
          provider_name: r.provider ?? AWS,
          values: r.values,
        })),
      },
    },
    resource_changes: resources.map((r) => ({
      address: address(r),
      mode: "managed" as const,
      type: r.type,
      name: r.name,
      provider_name: r.provider ?? AWS,
      change: {
        actions: ["create"],
        before: null,
        after: r.values,
        after_unknown: r.unknown ?? {},
      },
    })),
    configuration: {
      provider_config: {
        aws: { name: "aws", expressions: { region: { constant_value: "eu-west-1" } } },
      },
      root_module: {
        resources: resources.map((r) => ({
          address: `${r.type}.${r.name}`,
          provider_config_key: r.type === "aws_sns_topic" ? "aws.alerts" : "aws",
        })),
      },
    },
    ...extra,
  };
}

function attributesOf(state: ReturnType<typeof fabricatePriorState>, type: string) {
  const resource = state.resources.find((r) => r.type === type);
  return resource?.instances[0]?.attributes as Record<string, unknown>;
}

describe("fabricatePriorState", () => {
  const plan = planOf([
    {
      type: "aws_vpc",
      name: "network_vpc_1A2B3C4D",
      values: { cidr_block: "10.30.0.0/16", enable_dns_support: true, tags: { Name: "prod" } },
      unknown: { arn: true, id: true, tags: {}, tags_all: true },
    },
    {
      type: "aws_db_instance",
      name: "database_instance_D7FC2283",
      values: {
        identifier: "pgforks-prod",
        password: null,
        password_wo: null,
        multi_az: true,
        blue_green_update: [],
        restore_to_point_in_time: [],
        timeouts: null,
      },
      unknown: {
        id: true,
        master_user_secret: true,
        vpc_security_group_ids: true,
        port: true,
        parameters: true,
      },
    },
  ]);
  const state = fabricatePriorState(plan, schemas);

  it("writes a version 4 state with one instance per resource, schema versions from the schema", () => {
    expect(state).toMatchObject({ version: 4, terraform_version: "1.11.4", serial: 1 });
    expect(state.lineage).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(state.resources.map((r) => [r.type, r.instances[0]?.schema_version])).toEqual([
      ["aws_vpc", 1],
      ["aws_db_instance", 2],
    ]);
    expect(state.resources[0]).toMatchObject({
      mode: "managed",
      name: "network_vpc_1A2B3C4D",
      provider: 'provider["registry.terraform.io/hashicorp/aws"]',
    });
  });

  it("keeps known values and gives every schema attribute a value of its type", () => {
    const vpc = attributesOf(state, "aws_vpc");
    expect(Object.keys(vpc).sort()).toEqual(
      Object.keys(
        schemas.provider_schemas[AWS]?.resource_schemas?.aws_vpc?.block.attributes ?? {},
      ).sort(),
    );
    expect(vpc).toMatchObject({ cidr_block: "10.30.0.0/16", enable_dns_support: true });
    expect(vpc.tags).toEqual({ Name: "prod" });
    // Unknown map: empty. Optional, not computed, left out of the plan: null.
    expect(vpc.tags_all).toEqual({});
    expect(vpc.ipv6_netmask_length).toBeNull();
  });

  it("fills unknowns with typed placeholders: numbers 0, bools false, maps {}, primitive sets []", () => {
    const db = attributesOf(state, "aws_db_instance");
    expect(db.port).toBe(0);
    expect(db.parameters).toEqual({});
    expect(db.vpc_security_group_ids).toEqual([]);
    expect(db.multi_az).toBe(true);
  });

  it("gives a computed list of objects one element, so `x[0].attr` references stay valid", () => {
    const db = attributesOf(state, "aws_db_instance");
    expect(db.master_user_secret).toEqual([
      {
        kms_key_id: "placeholder-database-instance-d7fc2283-kms-key-id",
        secret_arn: `arn:aws:secretsmanager:eu-west-1:${PLACEHOLDER_ACCOUNT}:placeholder/database-instance-d7fc2283/secret-arn`,
      },
    ]);
  });

  it("makes EC2 ids keep their prefix and ARNs name the region of the provider and the account", () => {
    const vpc = attributesOf(state, "aws_vpc");
    expect(EC2_ID_PREFIX_BY_TYPE.aws_vpc).toBe("vpc");
    expect(vpc.id).toMatch(/^vpc-placeholder[0-9a-f]{8}$/);
    expect(vpc.arn).toBe(
      `arn:aws:ec2:eu-west-1:${PLACEHOLDER_ACCOUNT}:placeholder/network-vpc-1a2b3c4d`,
    );
    const withAccount = fabricatePriorState(plan, schemas, {
      account: "333333333333",
      region: "us-east-1",
    });
    expect(attributesOf(withAccount, "aws_vpc").arn).toBe(
      "arn:aws:ec2:us-east-1:333333333333:placeholder/network-vpc-1a2b3c4d",
    );
  });

  it("keeps write-only attributes out of state and records schema-sensitive paths", () => {
    const db = attributesOf(state, "aws_db_instance");
    expect(db.password_wo).toBeNull();
    const instance = state.resources.find((r) => r.type === "aws_db_instance")?.instances[0];
    expect(instance?.sensitive_attributes).toEqual([
      [{ type: "get_attr", value: "password" }],
      [{ type: "get_attr", value: "password_wo" }],
    ]);
  });

  it("fills nested blocks per nesting mode: single null when unset, lists []", () => {
    const db = attributesOf(state, "aws_db_instance");
    expect(db.timeouts).toBeNull();
    expect(db.restore_to_point_in_time).toEqual([]);
    expect(db.blue_green_update).toEqual([]);
  });

  it("is deterministic: the same plan gives the same state", () => {
    expect(JSON.stringify(fabricatePriorState(plan, schemas))).toBe(JSON.stringify(state));
  });

  it("fills unknowns inside nested blocks and marks their sensitive attributes by index", () => {
    const nested = planOf([
      {
        type: "aws_db_instance",
        name: "db",
        values: {
          identifier: "x",
          blue_green_update: [{ enabled: true, secret: [{}] }],
          restore_to_point_in_time: [{ source_db_instance_identifier: "y" }],
        },
        unknown: { blue_green_update: [{ secret: [{ token: true }] }] },
      },
    ]);
    const db = attributesOf(fabricatePriorState(nested, schemas), "aws_db_instance");
    expect(db.blue_green_update).toEqual([
      { enabled: true, secret: [{ token: "placeholder-db-token" }] },
    ]);
    expect(db.restore_to_point_in_time).toEqual([
      { source_db_instance_identifier: "y", use_latest_restorable_time: null },
    ]);
    const block = schemas.provider_schemas[AWS]?.resource_schemas
      ?.aws_db_instance as ResourceSchema;
    expect(sensitivePaths(block.block, db)).toContainEqual([
      { type: "get_attr", value: "blue_green_update" },
      { type: "index", value: { value: 0, type: "number" } },
      { type: "get_attr", value: "secret" },
      { type: "index", value: { value: 0, type: "number" } },
      { type: "get_attr", value: "token" },
    ]);
  });

  it("fills framework nested attributes from their nested type", () => {
    const framework = planOf([
      { type: "aws_framework_thing", name: "t", values: {}, unknown: { id: true, settings: true } },
    ]);
    const attributes = attributesOf(fabricatePriorState(framework, schemas), "aws_framework_thing");
    expect(attributes.settings).toEqual({ mode: "placeholder-t-mode", key: "placeholder-t-key" });
  });

  it("uses the attribute the provider takes as id (ARN, name) and the values AWS really reports", () => {
    const ids = planOf([
      { type: "aws_sns_topic", name: "alarms", values: {}, unknown: { id: true, arn: true } },
      {
        type: "aws_iam_role",
        name: "role",
        values: { name: "pgforks-proxy" },
        unknown: { id: true },
      },
    ]);
    const fabricated = fabricatePriorState(ids, schemas);
    const topic = attributesOf(fabricated, "aws_sns_topic");
    expect(topic.id).toBe(topic.arn);
    expect(topic.arn).toMatch(/^arn:aws:sns:eu-west-1:\d{12}:placeholder\/alarms$/);
    expect(topic.fifo_throughput_scope).toBe(
      KNOWN_AFTER_APPLY_VALUES["aws_sns_topic.fifo_throughput_scope"],
    );
    const role = attributesOf(fabricated, "aws_iam_role");
    expect(role.id).toBe("pgforks-proxy");
    // IAM is global: no region in its ARNs.
    expect(role.arn).toMatch(/^arn:aws:iam::\d{12}:placeholder\/role$/);
    // Aliased provider configurations keep their alias.
    expect(fabricated.resources.find((r) => r.type === "aws_sns_topic")?.provider).toBe(
      'provider["registry.terraform.io/hashicorp/aws"].alerts',
    );
  });

  it("resolves plain references and templates of them from the synthesized configuration", () => {
    const referencing = planOf([
      { type: "aws_vpc", name: "vpc", values: {}, unknown: { id: true, arn: true } },
      {
        type: "aws_subnet",
        name: "a",
        values: {},
        unknown: { id: true, vpc_id: true, name_tag: true },
      },
      {
        type: "aws_iam_role",
        name: "r",
        values: { name: "n" },
        unknown: { id: true, policy: true },
      },
    ]);
    const config = {
      resource: {
        aws_subnet: { a: { vpc_id: tf("aws_vpc.vpc.id"), name_tag: `in-${tf("aws_vpc.vpc.id")}` } },
        aws_iam_role: {
          r: {
            policy: `{"Resource":"${tf("aws_vpc.vpc.arn")}","Other":"${tf("upper(aws_vpc.vpc.arn)")}"}`,
          },
        },
      },
    };
    const fabricated = fabricatePriorState(referencing, schemas, { config });
    const vpcId = attributesOf(fabricated, "aws_vpc").id;
    expect(attributesOf(fabricated, "aws_subnet")).toMatchObject({
      vpc_id: vpcId,
      name_tag: `in-${vpcId}`,
    });
    // A function call cannot be evaluated here: the placeholder stays (settlePriorState fixes it).
    expect(attributesOf(fabricated, "aws_iam_role").policy).toBe("placeholder-r-policy");
    // Without the configuration nothing is resolved.
    expect(attributesOf(fabricatePriorState(referencing, schemas), "aws_subnet").vpc_id).not.toBe(
      vpcId,
    );
  });

  it("stores dynamic values with their type and resolves unknowns inside them", () => {
    const dynamic = planOf([
      { type: "aws_vpc", name: "vpc", values: {}, unknown: { id: true } },
      {
        type: "terraform_data",
        name: "trigger",
        provider: "terraform.io/builtin/terraform",
        values: { triggers_replace: { engine: "postgres", multi_az: true } },
        unknown: { id: true, triggers_replace: { vpc: true } },
      },
    ]);
    const config = {
      resource: {
        terraform_data: { trigger: { triggers_replace: { vpc: tf("aws_vpc.vpc.id") } } },
      },
    };
    const fabricated = fabricatePriorState(dynamic, schemas, { config });
    const vpcId = attributesOf(fabricated, "aws_vpc").id;
    expect(attributesOf(fabricated, "terraform_data").triggers_replace).toEqual({
      value: { engine: "postgres", multi_az: true, vpc: vpcId },
      type: ["object", { engine: "string", multi_az: "bool", vpc: "string" }],
    });
    expect(fabricated.resources[1]?.provider).toBe('provider["terraform.io/builtin/terraform"]');
  });

  it("keeps known root outputs with their declared type, sensitive ones marked", () => {
    const withOutputs = planOf([], {
      planned_values: {
        outputs: {
          address: { sensitive: false, value: "db.example", type: "string" } as never,
          secret: { sensitive: true, value: "arn:x" },
          pending: { sensitive: false },
        },
        root_module: {},
      },
    });
    expect(fabricatePriorState(withOutputs, schemas).outputs).toEqual({
      address: { value: "db.example", type: "string" },
      secret: { value: "arn:x", type: "string", sensitive: true },
    });
  });

  it("groups counted instances under one resource with their index keys", () => {
    const counted = planOf([
      {
        type: "aws_subnet",
        name: "s",
        index: 0,
        values: { vpc_id: "vpc-1" },
        unknown: { id: true },
      },
      {
        type: "aws_subnet",
        name: "s",
        index: 1,
        values: { vpc_id: "vpc-1" },
        unknown: { id: true },
      },
    ]);
    const fabricated = fabricatePriorState(counted, schemas);
    expect(fabricated.resources).toHaveLength(1);
    const instances = fabricated.resources[0]?.instances ?? [];
    expect(instances.map((i) => i.index_key)).toEqual([0, 1]);
    expect(instances[0]?.attributes.id).not.toBe(instances[1]?.attributes.id);
  });

  it("names the resource type and the providers it knows when a schema is missing", () => {
    const unknownType = planOf([{ type: "aws_nothing", name: "x", values: {} }]);
    expect(() => fabricatePriorState(unknownType, schemas)).toThrow(SchemaNotFoundError);
    expect(() => fabricatePriorState(unknownType, schemas)).toThrow(/aws_nothing.*hashicorp\/aws/);
  });
});

describe("inferCtyType", () => {
  it("types JSON values as HCL types literals: objects, tuples, primitives", () => {
    expect(inferCtyType({ a: "x", b: [1, true] })).toEqual([
      "object",
      { a: "string", b: ["tuple", ["number", "bool"]] },
    ]);
    expect(inferCtyType(null)).toBe("dynamic");
  });
});
