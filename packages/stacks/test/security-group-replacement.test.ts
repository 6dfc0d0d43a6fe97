// docs/operations.md, "Replacing a security group": a replaced group gets its rules before the
// instance (or the proxy) moves to it, and the old rules stay until then. Terraform deletes a
// replaced resource first unless it is create_before_destroy, and nothing orders an in-place move
// after rules it does not depend on. Checked with Terraform 1.11.4 on a model of this shape
// (group create_before_destroy; rule replaced with the group; instance updated in place): without
// both settings the old rule was destroyed before the new group existed, and the instance moved
// before the new rule was created; with them: group, rule, instance, then the old rule and group.
import { environmentNames, loadEnvironment } from "@pgforks/config";
import { withProxyEnabled } from "@pgforks/testing";
import { type StackJson, synthesizeInMemory } from "../src/synth";

type Resources = Record<string, Record<string, unknown>>;

function check(stack: StackJson, joiners: readonly string[]) {
  const resources = (type: string) => (stack.resource?.[type] ?? {}) as Resources;
  const groups = resources("aws_security_group");
  const rules = { ...resources("aws_vpc_security_group_ingress_rule") };
  const egress = resources("aws_vpc_security_group_egress_rule");
  for (const rule of [...Object.values(rules), ...Object.values(egress)]) {
    expect(rule.lifecycle).toMatchObject({ create_before_destroy: true });
  }
  let moves = 0;
  for (const type of joiners) {
    for (const [name, joiner] of Object.entries(resources(type))) {
      const ids = (joiner.vpc_security_group_ids ?? []) as string[];
      for (const id of ids) {
        const group = Object.keys(groups).find((g) => id === `\${aws_security_group.${g}.id}`);
        if (!group) throw new Error(`${type}.${name}: security group ${id} not in this stack`);
        const onGroup = Object.entries(rules)
          .filter(([, r]) => r.security_group_id === `\${aws_security_group.${group}.id}`)
          .map(([r]) => `aws_vpc_security_group_ingress_rule.${r}`);
        expect(onGroup.length).toBeGreaterThan(0);
        expect({ joiner: `${type}.${name}`, dependsOn: joiner.depends_on }).toEqual({
          joiner: `${type}.${name}`,
          dependsOn: expect.arrayContaining(onGroup),
        });
        moves++;
      }
    }
  }
  return moves;
}

describe.each(environmentNames())("%s-platform", (name) => {
  const loaded = loadEnvironment(name);

  it("the instance joins its group only after that group's rules exist; every rule is create_before_destroy", () => {
    const stack = synthesizeInMemory([loaded])[`${name}-platform`] as StackJson;
    expect(check(stack, ["aws_db_instance"])).toBeGreaterThan(0);
  });

  it("with the proxy on, the proxy too", () => {
    const stack = synthesizeInMemory([withProxyEnabled(loaded)])[`${name}-platform`] as StackJson;
    expect(check(stack, ["aws_db_proxy"])).toBe(1);
  });
});
