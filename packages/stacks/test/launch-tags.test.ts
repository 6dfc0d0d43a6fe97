// The provider's default_tags reach every resource with a `tags` argument, but not the tags a
// launch template puts on what it launches (`tag_specifications`): the AWS provider leaves those
// alone (hashicorp/terraform-provider-aws#19387, #32328). The bastion's root volume is created
// only through its launch template, so without them it carries a Name and nothing else: no
// project, environment or cost-center for cost allocation.
import { DEFAULT_TAG_KEYS, environmentNames, loadEnvironment } from "@pgforks/config";
import { defaultTags } from "../src/backend";
import { resourcesOfType, type StackJson, synthesizeInMemory } from "../src/synth";

interface TagSpecification {
  readonly resource_type: string;
  readonly tags?: Record<string, string>;
}

/** The default_tags of a stack's (single, unaliased) aws provider, as synthesized. */
function providerDefaultTags(stack: StackJson): Record<string, string> {
  const providers = (stack.provider?.aws ?? []) as Array<{
    default_tags?: Array<{ tags?: Record<string, string> }>;
  }>;
  expect(providers).toHaveLength(1);
  return providers[0]?.default_tags?.[0]?.tags ?? {};
}

describe.each(environmentNames())("%s-platform", (name) => {
  const stack = synthesizeInMemory([loadEnvironment(name)])[`${name}-platform`] as StackJson;
  const defaults = providerDefaultTags(stack);

  it("has the project's default tags on its provider", () => {
    expect(defaults).toMatchObject({
      project: "pgforks",
      environment: name,
      "managed-by": "cdktf",
    });
  });

  it("puts the default tags on everything its launch templates launch, beside Name", () => {
    const templates = resourcesOfType(stack, "aws_launch_template");
    expect(templates.length).toBeGreaterThan(0);
    for (const template of templates) {
      const specs = (template.tag_specifications ?? []) as TagSpecification[];
      expect(specs.map((s) => s.resource_type).sort()).toEqual(["instance", "volume"]);
      for (const spec of specs) {
        expect(spec.tags).toEqual({ ...defaults, Name: `pgforks-${name}-bastion` });
      }
    }
  });
});

describe("the tags pgforks sets itself", () => {
  // environment.yaml's validation refuses these keys in tags and counts them against AWS's 50
  // (DEFAULT_TAG_KEYS); a tag added here without it would pass the check and fail at apply.
  it("are exactly the keys environment.yaml's tags may not use", () => {
    for (const name of environmentNames()) {
      const { environment } = loadEnvironment(name);
      const own = Object.keys(defaultTags({ ...environment, tags: {} }));
      expect(own.sort()).toEqual([...DEFAULT_TAG_KEYS].sort());
    }
  });
});
