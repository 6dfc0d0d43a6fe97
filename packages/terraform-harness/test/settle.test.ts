import type { TerraformHarness } from "../src/harness";
import type { PlanJson, ResourceChange } from "../src/json-output";
import type { TerraformStateV4 } from "../src/prior-state";
import type { ProviderSchemas } from "../src/provider-schema";
import { PriorStateNotSettledError, pendingChanges, settlePriorState } from "../src/settle";

const AWS = "registry.terraform.io/hashicorp/aws";

const schemas: ProviderSchemas = {
  format_version: "1.0",
  provider_schemas: {
    [AWS]: {
      resource_schemas: {
        aws_vpc: {
          version: 1,
          block: {
            attributes: {
              id: { type: "string", computed: true },
              cidr_block: { type: "string", optional: true },
            },
          },
        },
      },
    },
  },
};

function change(
  address: string,
  actions: ResourceChange["change"]["actions"],
  mode: "managed" | "data" = "managed",
): ResourceChange {
  const [type = "", name = ""] = address.split(".");
  return {
    address,
    mode,
    type,
    name,
    provider_name: AWS,
    change: {
      actions,
      before: null,
      after: { cidr_block: "10.0.0.0/16" },
      after_unknown: { id: true },
    },
  };
}

function planWith(changes: ResourceChange[], outputs: PlanJson["output_changes"] = {}): PlanJson {
  return {
    format_version: "1.2",
    terraform_version: "1.11.4",
    resource_changes: changes,
    output_changes: outputs,
    planned_values: {
      root_module: {
        resources: changes
          .filter((c) => c.mode === "managed")
          .map((c) => ({
            address: c.address,
            mode: "managed" as const,
            type: c.type,
            name: c.name,
            provider_name: AWS,
            values: { cidr_block: "10.0.0.0/16" },
          })),
      },
    },
  };
}

/** A stand-in for the harness: returns the given plans in turn and records the states it got. */
function fakeHarness(plans: PlanJson[]) {
  const states: TerraformStateV4[] = [];
  const harness = {
    providerSchemas: async () => schemas,
    prepare: async () => ({ dir: "/nowhere", config: {}, timings: {} }),
    plan: async (_stack: string, options: { priorState?: object } = {}) => {
      if (options.priorState) states.push(options.priorState as TerraformStateV4);
      const plan = plans.shift();
      if (!plan) throw new Error("no more plans");
      return {
        stack: "s",
        plan,
        changes: { add: 0, change: 0, destroy: 0, replace: 0 },
        planFile: "",
        timings: {},
      };
    },
  };
  return { harness: harness as unknown as TerraformHarness, states };
}

describe("pendingChanges", () => {
  it("lists managed changes and output changes, not no-ops or data reads", () => {
    const plan = planWith(
      [
        change("aws_vpc.a", ["no-op"]),
        change("aws_vpc.b", ["update"]),
        change("aws_vpc.c", ["read"], "data"),
      ],
      {
        same: { actions: ["no-op"], before: "x", after: "x" },
        added: { actions: ["create"], before: null, after: "y" },
      },
    );
    expect(pendingChanges(plan)).toEqual(["update aws_vpc.b", "create output.added"]);
  });
});

describe("settlePriorState", () => {
  it("plans from empty, then against fabricated states until nothing changes", async () => {
    const { harness, states } = fakeHarness([
      planWith([change("aws_vpc.a", ["create"])]),
      planWith([change("aws_vpc.a", ["update"])]),
      planWith([change("aws_vpc.a", ["no-op"])]),
    ]);
    const settled = await settlePriorState(harness, "s", { account: "333333333333" });
    expect(settled.rounds).toBe(2);
    expect(states.map((s) => s.serial)).toEqual([1, 2]);
    expect(states[0]?.resources[0]?.instances[0]?.attributes).toMatchObject({
      cidr_block: "10.0.0.0/16",
      id: expect.stringMatching(/^vpc-placeholder/),
    });
    expect(settled.state).toBe(states[1]);
    expect(pendingChanges(settled.plan)).toEqual([]);
  });

  it("gives up after maxRounds, naming what still changes", async () => {
    const always = () => planWith([change("aws_vpc.a", ["update"])]);
    const { harness } = fakeHarness([always(), always(), always()]);
    const settling = settlePriorState(harness, "s", { maxRounds: 2 });
    await expect(settling).rejects.toThrow(PriorStateNotSettledError);
    const { harness: again } = fakeHarness([always(), always(), always()]);
    await expect(settlePriorState(again, "s", { maxRounds: 2 })).rejects.toThrow(
      /after 2 rounds:\n {2}update aws_vpc\.a/,
    );
  });
});
