import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { RDS_PROXY_POSTGRESQL_PORT } from "@pgforks/config";
import { environmentFixture, synthScope } from "@pgforks/testing";
import { Testing } from "cdktf";
import {
  AL2023_AMI_PARAMETERS,
  BASTION_MAX_RUN,
  BASTION_SCHEDULE_TAG,
  instanceArchitecture,
} from "../src/bastion";
import { INTERFACE_ENDPOINT_SERVICES } from "../src/interface-endpoints";
import { Network, type NetworkProps } from "../src/network";
import { subnetLayout } from "../src/subnet-layout";

const env = environmentFixture({ availabilityZones: ["use1-az1", "use1-az2", "use1-az4"] });
const KMS_KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555";
const PORT = env.database.port;
/** Where RDS Proxy for PostgreSQL listens, whatever the instance port (RDS User Guide, proxy limitations). */
const PROXY_PORT = RDS_PROXY_POSTGRESQL_PORT;

/** Props from the fixture's config, every optional feature off unless the test turns it on. */
function props(patch: Partial<NetworkProps> = {}): NetworkProps {
  return {
    name: `${env.project}-${env.name}`,
    cidr: env.network.cidr,
    availabilityZones: env.availabilityZones,
    databasePort: PORT,
    proxyEnabled: env.proxy.enabled,
    kmsKeyArn: KMS_KEY_ARN,
    region: env.region,
    ...patch,
  };
}

type Resources = Record<string, Record<string, Record<string, unknown>>>;

/** Parses a policy whose strings hold Terraform expressions (which may contain quotes). */
function parsePolicy(policy: unknown) {
  return JSON.parse(String(policy).replace(/\$\{[^}]*\}/g, "<expr>"));
}

function synth(patch: Partial<NetworkProps> = {}) {
  const { json, parsed } = synthScope((scope) => {
    new Network(scope, "network", props(patch));
  });
  const resource = (parsed.resource ?? {}) as Resources;
  const all = (type: string) => Object.values(resource[type] ?? {});
  return { json, resource, all };
}

/** Security-group edges as "source->target:port" (egress) and "target<-source:port" (ingress). */
function securityGroupEdges(resource: Resources) {
  const purpose = new Map<string, string>();
  for (const [key, sg] of Object.entries(resource.aws_security_group ?? {})) {
    const tags = sg.tags as Record<string, string>;
    purpose.set(`\${aws_security_group.${key}.id}`, (tags.Name ?? "").replace("pgforks-test-", ""));
  }
  const label = (r: Record<string, unknown>) =>
    r.referenced_security_group_id
      ? purpose.get(r.referenced_security_group_id as string)
      : (r.cidr_ipv4 as string);
  const port = (r: Record<string, unknown>) => {
    expect(r.ip_protocol).toBe("tcp");
    expect(r.from_port).toBe(r.to_port);
    return r.from_port;
  };
  const egress = Object.values(resource.aws_vpc_security_group_egress_rule ?? {}).map(
    (r) => `${purpose.get(r.security_group_id as string)}->${label(r)}:${port(r)}`,
  );
  const ingress = Object.values(resource.aws_vpc_security_group_ingress_rule ?? {}).map(
    (r) => `${purpose.get(r.security_group_id as string)}<-${label(r)}:${port(r)}`,
  );
  return { egress: egress.sort(), ingress: ingress.sort() };
}

describe("Network: VPC and subnets", () => {
  it("enables DNS support and hostnames on the VPC", () => {
    expect(synth().json).toHaveResourceWithProperties(Vpc, {
      cidr_block: env.network.cidr,
      enable_dns_support: true,
      enable_dns_hostnames: true,
    });
  });

  it("puts one private subnet in every AZ, with the planned non-overlapping CIDRs", () => {
    const { all } = synth();
    const subnets = all("aws_subnet");
    // By AZ ID, the same physical zone in every account; the provider resolves the name.
    expect(subnets.map((s) => s.availability_zone_id)).toEqual(env.availabilityZones);
    expect(subnets.filter((s) => "availability_zone" in s)).toEqual([]);
    const planned = subnetLayout(env.network.cidr, env.availabilityZones.length).private;
    expect(subnets.map((s) => s.cidr_block)).toEqual(planned);
    expect(new Set(planned).size).toBe(planned.length);
  });

  it("never gives anything a public IP", () => {
    const { all } = synth({ natGateway: true, interfaceEndpoints: true, bastion: true });
    const subnets = all("aws_subnet");
    expect(subnets.length).toBe(env.availabilityZones.length + 1);
    for (const subnet of subnets) expect(subnet.map_public_ip_on_launch).toBe(false);
    expect(all("aws_instance")[0]?.associate_public_ip_address).toBe(false);
  });

  it("routes the private subnets through one table with no internet route by default", () => {
    const { all, resource } = synth();
    expect(all("aws_route_table")).toHaveLength(1);
    expect(all("aws_route_table")[0]?.route).toBeUndefined();
    const tableRef = `\${aws_route_table.${Object.keys(resource.aws_route_table ?? {})[0]}.id}`;
    const associations = all("aws_route_table_association");
    expect(associations).toHaveLength(env.availabilityZones.length);
    for (const a of associations) expect(a.route_table_id).toBe(tableRef);
    for (const type of ["aws_route", "aws_internet_gateway", "aws_nat_gateway", "aws_eip"]) {
      expect(resource[type]).toBeUndefined();
    }
  });

  it("creates one NAT gateway in a public subnet only when asked, and routes private traffic to it", () => {
    const { all, resource } = synth({ natGateway: true });
    expect(all("aws_nat_gateway")).toHaveLength(1);
    expect(all("aws_internet_gateway")).toHaveLength(1);
    expect(all("aws_eip")).toHaveLength(1);
    const natRef = `\${aws_nat_gateway.${Object.keys(resource.aws_nat_gateway ?? {})[0]}.id}`;
    const routes = all("aws_route");
    expect(routes.filter((r) => r.nat_gateway_id === natRef)).toEqual([
      expect.objectContaining({ destination_cidr_block: "0.0.0.0/0" }),
    ]);
    expect(routes.filter((r) => r.gateway_id)).toHaveLength(1);
    const publicSubnet = all("aws_subnet").find(
      (s) => s.cidr_block === subnetLayout(env.network.cidr, 3).public,
    );
    expect(publicSubnet).toBeDefined();
  });
});

describe("Network: default security group", () => {
  it("manages the VPC's default security group with no rules at all", () => {
    const { all } = synth();
    const groups = all("aws_default_security_group");
    expect(groups).toHaveLength(1);
    expect(groups[0]).not.toHaveProperty("ingress");
    expect(groups[0]).not.toHaveProperty("egress");
    expect(groups[0]?.vpc_id).toMatch(/^\$\{aws_vpc\./);
  });
});

describe("Network: flow logs", () => {
  it("logs ALL traffic to a KMS-encrypted log group kept 365 days by default", () => {
    const { json, resource } = synth();
    const groupName = Object.keys(resource.aws_cloudwatch_log_group ?? {})[0];
    expect(json).toHaveResourceWithProperties(CloudwatchLogGroup, {
      kms_key_id: KMS_KEY_ARN,
      retention_in_days: 365,
    });
    expect(json).toHaveResourceWithProperties(FlowLog, {
      traffic_type: "ALL",
      log_destination_type: "cloud-watch-logs",
      log_destination: `\${aws_cloudwatch_log_group.${groupName}.arn}`,
    });
  });

  it("uses the configured retention", () => {
    const { all } = synth({ flowLogRetentionDays: 731 });
    expect(all("aws_cloudwatch_log_group")[0]?.retention_in_days).toBe(731);
  });

  it("delivers through a role trusted by flow logs only and allowed to write that log group only", () => {
    const { all, resource } = synth();
    const groupArn = `\${aws_cloudwatch_log_group.${Object.keys(resource.aws_cloudwatch_log_group ?? {})[0]}.arn}`;
    const role = all("aws_iam_role").find((r) => String(r.name).endsWith("vpc-flow-logs"));
    const trust = parsePolicy(role?.assume_role_policy);
    expect(trust.Statement).toHaveLength(1);
    expect(trust.Statement[0].Principal).toEqual({ Service: "vpc-flow-logs.amazonaws.com" });
    expect(trust.Statement[0].Condition.ArnLike["aws:SourceArn"]).toMatch(
      /^arn:aws:ec2:us-east-1:<expr>:vpc-flow-log\/\*$/,
    );
    expect(role?.assume_role_policy).toContain(`element(split(":", ${groupArn.slice(2, -1)}), 4)`);
    const policy = parsePolicy(all("aws_iam_role_policy")[0]?.policy);
    const write = policy.Statement.find((s: { Sid: string }) => s.Sid === "WriteThisLogGroup");
    expect(write.Action).toContain("logs:PutLogEvents");
    expect(write.Resource).toEqual(["<expr>", "<expr>:*"]);
    expect(all("aws_iam_role_policy")[0]?.policy).toContain(
      `"Resource":["${groupArn}","${groupArn}:*"]`,
    );
    for (const statement of policy.Statement) expect(statement.Resource).not.toBe("*");
  });
});

describe("Network: security-group chain", () => {
  it("with a proxy: clients -> proxy on the proxy's port, proxy -> database on the database port", () => {
    const { resource } = synth({ proxyEnabled: true });
    expect(securityGroupEdges(resource)).toEqual({
      egress: [`clients->proxy:${PROXY_PORT}`, `proxy->database:${PORT}`],
      ingress: [`database<-proxy:${PORT}`, `proxy<-clients:${PROXY_PORT}`],
    });
  });

  it("without a proxy: clients -> database, and the proxy group has no rules", () => {
    const { resource } = synth({ proxyEnabled: false });
    expect(securityGroupEdges(resource)).toEqual({
      egress: [`clients->database:${PORT}`],
      ingress: [`database<-clients:${PORT}`],
    });
  });

  it("pins the proxy's listener port from the AWS docs: 5432 for PostgreSQL", () => {
    // "Currently, all proxies listen on port 5432 for PostgreSQL" (Quotas and limitations for RDS Proxy).
    expect(RDS_PROXY_POSTGRESQL_PORT).toBe(5432);
  });

  it("with a non-default database port, opens it only to the instance: clients still reach the proxy on 5432", () => {
    const { resource } = synth({
      proxyEnabled: true,
      bastion: true,
      natGateway: true,
      databasePort: 6543,
    });
    expect(securityGroupEdges(resource)).toEqual({
      egress: [
        "bastion->0.0.0.0/0:443",
        "bastion->database:6543",
        `bastion->proxy:${PROXY_PORT}`,
        `clients->proxy:${PROXY_PORT}`,
        "proxy->database:6543",
      ],
      ingress: [
        "database<-bastion:6543",
        "database<-proxy:6543",
        `proxy<-bastion:${PROXY_PORT}`,
        `proxy<-clients:${PROXY_PORT}`,
      ],
    });
  });

  it("exposes both ports on the chain, so callers configure clients with the right one", () => {
    let network: Network | undefined;
    Testing.synthScope((scope) => {
      network = new Network(scope, "network", props({ proxyEnabled: true, databasePort: 6543 }));
    });
    expect(network?.securityGroups.proxyPort).toBe(PROXY_PORT);
    expect(network?.securityGroups.databasePort).toBe(6543);
  });

  it("without a proxy, a non-default database port is the only port clients and the bastion get", () => {
    const { resource } = synth({
      proxyEnabled: false,
      bastion: true,
      natGateway: true,
      databasePort: 6543,
    });
    expect(securityGroupEdges(resource)).toEqual({
      egress: ["bastion->0.0.0.0/0:443", "bastion->database:6543", "clients->database:6543"],
      ingress: ["database<-bastion:6543", "database<-clients:6543"],
    });
  });

  it("can replace every group without an outage: name_prefix and create_before_destroy, no fixed name", () => {
    const { all } = synth({ proxyEnabled: true, bastion: true, interfaceEndpoints: true });
    const groups = all("aws_security_group");
    expect(groups.map((g) => (g.tags as Record<string, string>).Name).sort()).toEqual(
      ["bastion", "clients", "database", "endpoints", "proxy"].map((p) => `pgforks-test-${p}`),
    );
    for (const group of groups) {
      // A fixed name could not exist twice, so Terraform would have to delete the old group
      // (still attached to the instance and the proxy) before creating the new one.
      expect(group).not.toHaveProperty("name");
      expect(group.name_prefix).toBe(`${(group.tags as Record<string, string>).Name}-`);
      expect(group.lifecycle).toEqual({ create_before_destroy: true });
    }
  });

  it("uses no inline rules and describes every rule", () => {
    const { all } = synth({ proxyEnabled: true, bastion: true, interfaceEndpoints: true });
    for (const sg of all("aws_security_group")) {
      expect(sg).not.toHaveProperty("ingress");
      expect(sg).not.toHaveProperty("egress");
    }
    const rules = [
      ...all("aws_vpc_security_group_ingress_rule"),
      ...all("aws_vpc_security_group_egress_rule"),
    ];
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) expect(String(rule.description ?? "")).not.toBe("");
  });

  it("lets the bastion reach the database, the proxy and the endpoints, and the VPC reach the endpoints", () => {
    const { resource } = synth({ proxyEnabled: true, bastion: true, interfaceEndpoints: true });
    expect(securityGroupEdges(resource)).toEqual({
      egress: [
        `bastion->database:${PORT}`,
        "bastion->endpoints:443",
        `bastion->proxy:${PROXY_PORT}`,
        `clients->proxy:${PROXY_PORT}`,
        `proxy->database:${PORT}`,
      ],
      ingress: [
        `database<-bastion:${PORT}`,
        `database<-proxy:${PORT}`,
        `endpoints<-${env.network.cidr}:443`,
        `proxy<-bastion:${PROXY_PORT}`,
        `proxy<-clients:${PROXY_PORT}`,
      ],
    });
  });

  it("sends a bastion without endpoints to SSM over the NAT gateway on 443 only", () => {
    const { resource } = synth({ proxyEnabled: false, bastion: true, natGateway: true });
    expect(securityGroupEdges(resource).egress).toEqual([
      `bastion->0.0.0.0/0:443`,
      `bastion->database:${PORT}`,
      `clients->database:${PORT}`,
    ]);
  });
});

describe("Network: interface endpoints", () => {
  it("creates none by default", () => {
    const { resource } = synth();
    expect(resource.aws_vpc_endpoint).toBeUndefined();
  });

  it("creates only the two Session Manager endpoints, with private DNS, in the first AZ by default", () => {
    const { all, resource } = synth({ interfaceEndpoints: true });
    const endpoints = all("aws_vpc_endpoint");
    expect(endpoints.map((e) => e.service_name).sort()).toEqual(
      ["ssm", "ssmmessages"].map((s) => `com.amazonaws.us-east-1.${s}`),
    );
    expect([...INTERFACE_ENDPOINT_SERVICES]).toEqual(["ssm", "ssmmessages"]);
    const subnetRefs = Object.keys(resource.aws_subnet ?? {}).map((k) => `\${aws_subnet.${k}.id}`);
    for (const endpoint of endpoints) {
      expect(endpoint).toMatchObject({ vpc_endpoint_type: "Interface", private_dns_enabled: true });
      // Each AZ is billed ($0.01/hour per endpoint): one interface, in the first subnet.
      expect(endpoint.subnet_ids).toEqual(subnetRefs.slice(0, 1));
    }
  });

  it("spreads the endpoints over interfaceEndpointZones AZs when asked", () => {
    const { all, resource } = synth({ interfaceEndpoints: true, interfaceEndpointZones: 2 });
    const subnetRefs = Object.keys(resource.aws_subnet ?? {}).map((k) => `\${aws_subnet.${k}.id}`);
    for (const endpoint of all("aws_vpc_endpoint")) {
      expect(endpoint.subnet_ids).toEqual(subnetRefs.slice(0, 2));
    }
  });
});

describe("Network: bastion", () => {
  it("creates none by default", () => {
    const { resource } = synth();
    expect(resource.aws_instance).toBeUndefined();
    expect(resource.aws_launch_template).toBeUndefined();
  });

  it("is hardened: SSM AMI without lookup, no key pair, IMDSv2 only, encrypted gp3 root, private subnet", () => {
    const { all, resource } = synth({ bastion: true, interfaceEndpoints: true });
    const template = all("aws_launch_template")[0] ?? {};
    expect(template.image_id).toBe(`resolve:ssm:${AL2023_AMI_PARAMETERS.arm64}`);
    expect(template.instance_type).toBe("t4g.nano");
    expect(template).not.toHaveProperty("key_name");
    expect(template.metadata_options).toMatchObject({ http_tokens: "required" });
    expect(template.block_device_mappings).toEqual([
      expect.objectContaining({
        ebs: expect.objectContaining({ volume_type: "gp3", encrypted: "true" }),
      }),
    ]);
    const instance = all("aws_instance")[0] ?? {};
    expect(instance).not.toHaveProperty("key_name");
    expect(instance).not.toHaveProperty("ami");
    expect(instance.metadata_options).toMatchObject({ http_tokens: "required" });
    const firstSubnet = Object.keys(resource.aws_subnet ?? {})[0];
    expect(instance.subnet_id).toBe(`\${aws_subnet.${firstSubnet}.id}`);
    expect(resource.data).toBeUndefined();
  });

  it("waits for the SSM endpoints before launching", () => {
    const { all } = synth({ bastion: true, interfaceEndpoints: true });
    const dependsOn = all("aws_instance")[0]?.depends_on as string[];
    expect(dependsOn.filter((d) => d.startsWith("aws_vpc_endpoint."))).toHaveLength(2);
  });

  it("lives in the first zone by default, or in the zone asked for (public subnet and NAT with it)", () => {
    const zoneOfBastion = (patch: Partial<NetworkProps>) => {
      const { all, resource } = synth({ bastion: true, ...patch });
      const subnetRef = String(all("aws_instance")[0]?.subnet_id);
      const [, subnet] =
        Object.entries(resource.aws_subnet ?? {}).find(
          ([key]) => subnetRef === `\${aws_subnet.${key}.id}`,
        ) ?? [];
      return subnet?.availability_zone_id;
    };
    expect(zoneOfBastion({ interfaceEndpoints: true })).toBe("use1-az1");
    expect(zoneOfBastion({ interfaceEndpoints: true, bastionAvailabilityZone: "use1-az4" })).toBe(
      "use1-az4",
    );
    expect(zoneOfBastion({ bastionPublicIp: true, bastionAvailabilityZone: "use1-az2" })).toBe(
      "use1-az2",
    );
    const { all } = synth({ natGateway: true, bastionAvailabilityZone: "use1-az2" });
    expect(
      all("aws_subnet").find(
        (s) => String(s.cidr_block) === subnetLayout(env.network.cidr, 3).public,
      )?.availability_zone_id,
    ).toBe("use1-az2");
  });

  it("with a public IP: lives in the public subnet (IGW route, no NAT), no inbound rule, HTTPS out", () => {
    const { all, resource } = synth({ bastion: true, bastionPublicIp: true });
    const instance = all("aws_instance")[0] ?? {};
    expect(instance.associate_public_ip_address).toBe(true);
    const [publicKey, publicSubnet] =
      Object.entries(resource.aws_subnet ?? {}).find(([k]) => k.includes("public")) ?? [];
    expect(instance.subnet_id).toBe(`\${aws_subnet.${publicKey}.id}`);
    expect(publicSubnet?.map_public_ip_on_launch).toBe(false);
    expect(all("aws_internet_gateway")).toHaveLength(1);
    expect(all("aws_route").map((r) => r.gateway_id)).toEqual([
      expect.stringMatching(/^\$\{aws_internet_gateway\./),
    ]);
    expect(resource.aws_nat_gateway).toBeUndefined();
    expect(resource.aws_vpc_endpoint).toBeUndefined();
    const bastionGroup = Object.entries(resource.aws_security_group ?? {}).find(
      ([, g]) => (g.tags as Record<string, string>).Name === "pgforks-test-bastion",
    )?.[0];
    const ref = `\${aws_security_group.${bastionGroup}.id}`;
    expect(
      all("aws_vpc_security_group_ingress_rule").filter((r) => r.security_group_id === ref),
    ).toEqual([]);
    expect(
      all("aws_vpc_security_group_egress_rule")
        .filter((r) => r.security_group_id === ref && r.cidr_ipv4 === "0.0.0.0/0")
        .map((r) => [r.from_port, r.to_port]),
    ).toEqual([[443, 443]]);
  });

  it("on demand: is stopped after creation and Terraform leaves its state to CI", () => {
    const { all } = synth({ bastion: true, bastionPublicIp: true, bastionSchedule: "on-demand" });
    expect(all("aws_ec2_instance_state")).toEqual([
      expect.objectContaining({
        state: "stopped",
        instance_id: expect.stringMatching(/^\$\{aws_instance\./),
        lifecycle: { ignore_changes: ["state"] },
      }),
    ]);
    expect(synth({ bastion: true, bastionPublicIp: true }).all("aws_ec2_instance_state")).toEqual(
      [],
    );
  });

  it("tags the instance with its schedule, the one source ssm-tunnel.sh reads", () => {
    const tags = (patch: Partial<NetworkProps>) =>
      synth({ bastion: true, bastionPublicIp: true, ...patch }).all("aws_instance")[0]?.tags;
    expect(tags({ bastionSchedule: "on-demand" })).toEqual({
      Name: "pgforks-test-bastion",
      [BASTION_SCHEDULE_TAG]: "on-demand",
    });
    expect(tags({ bastionSchedule: "always-on" })).toEqual({
      Name: "pgforks-test-bastion",
      [BASTION_SCHEDULE_TAG]: "always-on",
    });
    // The default of the construct (environment.yaml's default is on-demand, in config).
    expect(tags({})).toMatchObject({ [BASTION_SCHEDULE_TAG]: "always-on" });
  });

  it("on demand: an alarm stops the instance after 3 h of running without a break", () => {
    const { all } = synth({ bastion: true, bastionPublicIp: true, bastionSchedule: "on-demand" });
    const alarms = all("aws_cloudwatch_metric_alarm");
    expect(alarms).toEqual([
      expect.objectContaining({
        alarm_name: "pgforks-test-bastion-max-run",
        namespace: "AWS/EC2",
        metric_name: "CPUUtilization",
        dimensions: { InstanceId: expect.stringMatching(/^\$\{aws_instance\.[^}]+\.id\}$/) },
        // A data point of any value means the instance ran during that period.
        statistic: "SampleCount",
        comparison_operator: "GreaterThanOrEqualToThreshold",
        threshold: 1,
        period: 300,
        evaluation_periods: 36,
        datapoints_to_alarm: 36,
        // Stopped, the instance sends nothing: OK, and every run starts the count again.
        treat_missing_data: "notBreaching",
        alarm_actions: [`arn:aws:automate:${env.region}:ec2:stop`],
      }),
    ]);
    expect(alarms[0]).not.toHaveProperty("ok_actions");
    const alarm = alarms[0] as { period: number; evaluation_periods: number };
    expect((alarm.period * alarm.evaluation_periods) / 3600).toBe(3);
    expect(BASTION_MAX_RUN.periodSeconds * BASTION_MAX_RUN.periods).toBe(3 * 3600);
    // CloudWatch: an alarm with a period under an hour looks back one day at most.
    expect(alarm.period * alarm.evaluation_periods).toBeLessThanOrEqual(86_400);
    expect(
      String((alarms[0] as { alarm_description: string }).alarm_description).length,
    ).toBeLessThanOrEqual(1024);
  });

  it("always on: no stop alarm (it is meant to keep running)", () => {
    for (const patch of [{ bastionSchedule: "always-on" as const }, {}]) {
      expect(
        synth({ bastion: true, bastionPublicIp: true, ...patch }).all(
          "aws_cloudwatch_metric_alarm",
        ),
      ).toEqual([]);
    }
  });

  it("has a role with AmazonSSMManagedInstanceCore only", () => {
    const { all } = synth({ bastion: true, interfaceEndpoints: true });
    expect(all("aws_iam_role_policy_attachment").map((a) => a.policy_arn)).toEqual([
      "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    ]);
    const role = all("aws_iam_role").find((r) => String(r.name).endsWith("-bastion"));
    expect(role).not.toHaveProperty("inline_policy");
    expect(JSON.parse(role?.assume_role_policy as string).Statement[0].Principal).toEqual({
      Service: "ec2.amazonaws.com",
    });
  });

  it("picks the x86_64 AMI for an x86 instance type", () => {
    const { all } = synth({ bastion: true, natGateway: true, bastionInstanceType: "t3.micro" });
    expect(all("aws_launch_template")[0]?.image_id).toBe(
      `resolve:ssm:${AL2023_AMI_PARAMETERS.x86_64}`,
    );
  });

  it.each([
    ["t4g.nano", "arm64"],
    ["m7g.large", "arm64"],
    ["c7gn.xlarge", "arm64"],
    ["im4gn.large", "arm64"],
    ["a1.medium", "arm64"],
    ["t3.micro", "x86_64"],
    ["t3a.small", "x86_64"],
    ["m7i.large", "x86_64"],
    ["g5.xlarge", "x86_64"],
  ])("derives the architecture of %s: %s", (type, arch) => {
    expect(instanceArchitecture(type)).toBe(arch);
  });
});

describe("Network: validation", () => {
  it("requires at least two distinct AZs", () => {
    expect(() => synth({ availabilityZones: ["use1-az1"] })).toThrow(/2 to 6 AZs/);
    expect(() => synth({ availabilityZones: ["use1-az1", "use1-az1"] })).toThrow(/repeats/);
    expect(() =>
      synth({ bastion: true, bastionPublicIp: true, bastionAvailabilityZone: "use1-az6" }),
    ).toThrow(/bastionAvailabilityZone use1-az6 is not one of availabilityZones/);
  });

  it("refuses a bastion that could not reach SSM", () => {
    expect(() => synth({ bastion: true })).toThrow(
      /bastionPublicIp, interfaceEndpoints or natGateway/,
    );
  });
});
