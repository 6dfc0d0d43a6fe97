import { rmSync } from "node:fs";
import { join } from "node:path";
import { scanMirror } from "../src/mirror";
import { BUILTIN_TERRAFORM_PROVIDER } from "../src/provider-address";
import { listStacks, offlineAvailability, requiredProvidersOf } from "../src/stacks";
import { FIXTURE_PLATFORM, fakeMirror, synthFixture } from "./fixture";

describe("requiredProvidersOf", () => {
  it("normalises declared sources and adds providers implied by resources, data and provider blocks", () => {
    const providers = requiredProvidersOf({
      terraform: { required_providers: { aws: { source: "aws", version: "5.100.0" } } },
      provider: { random: [{}] },
      resource: {
        terraform_data: { marker: {} },
        aws_vpc: { vpc: {} },
        null_resource: { n: { provider: "null.alias" } },
      },
      data: { terraform_remote_state: { platform: {} } },
    });
    expect(providers).toEqual([
      {
        localName: "aws",
        source: "registry.terraform.io/hashicorp/aws",
        version: "5.100.0",
        implied: false,
      },
      { localName: "null", source: "registry.terraform.io/hashicorp/null", implied: true },
      { localName: "random", source: "registry.terraform.io/hashicorp/random", implied: true },
      { localName: "terraform", source: BUILTIN_TERRAFORM_PROVIDER, implied: true },
    ]);
  });
});

describe("offlineAvailability", () => {
  const mirror = scanMirror(fakeMirror(), FIXTURE_PLATFORM);

  it("is runnable when the mirror satisfies every constraint; the builtin provider always is", () => {
    const availability = offlineAvailability(
      [
        {
          localName: "aws",
          source: "registry.terraform.io/hashicorp/aws",
          version: "~> 5.0",
          implied: false,
        },
        { localName: "terraform", source: BUILTIN_TERRAFORM_PROVIDER, implied: true },
      ],
      mirror,
    );
    expect(availability).toEqual({
      runnable: true,
      selected: { "registry.terraform.io/hashicorp/aws": "5.100.0" },
    });
  });

  it("names the provider and version the mirror lacks, including a version mismatch", () => {
    const availability = offlineAvailability(
      [
        {
          localName: "aws",
          source: "registry.terraform.io/hashicorp/aws",
          version: "6.0.0",
          implied: false,
        },
        {
          localName: "postgresql",
          source: "registry.terraform.io/cyrilgdn/postgresql",
          version: "1.26.0",
          implied: false,
        },
      ],
      mirror,
    );
    expect(availability).toMatchObject({
      runnable: false,
      reason:
        "provider unavailable offline (registry.terraform.io/hashicorp/aws 6.0.0, registry.terraform.io/cyrilgdn/postgresql 1.26.0)",
    });
  });

  it("is not runnable when a module would have to be downloaded", () => {
    expect(offlineAvailability([], mirror, ["terraform-aws-modules/vpc/aws"])).toMatchObject({
      runnable: false,
      reason: "module unavailable offline (terraform-aws-modules/vpc/aws)",
    });
  });
});

describe("listStacks", () => {
  const outdir = synthFixture("dev");
  const mirror = scanMirror(fakeMirror(), FIXTURE_PLATFORM);

  it("reads the manifest in order; the postgresql stack is reported as not runnable offline", () => {
    const stacks = listStacks(outdir, mirror);
    expect(stacks.map((stack) => stack.name)).toEqual(["dev-platform", "dev-tenants"]);
    const [platform, tenants] = stacks;
    expect(platform?.offline.runnable).toBe(true);
    expect(platform?.file).toBe(join(outdir, "stacks", "dev-platform", "cdk.tf.json"));
    expect(tenants?.dependencies).toEqual(["dev-platform"]);
    expect(tenants?.offline).toMatchObject({
      runnable: false,
      reason: "provider unavailable offline (registry.terraform.io/cyrilgdn/postgresql 1.26.0)",
    });
  });

  it("falls back to scanning stacks/*/cdk.tf.json without a manifest", () => {
    const copy = synthFixture("staging");
    rmSync(join(copy, "manifest.json"));
    expect(listStacks(copy, mirror).map((stack) => stack.name)).toEqual([
      "staging-platform",
      "staging-tenants",
    ]);
  });
});
