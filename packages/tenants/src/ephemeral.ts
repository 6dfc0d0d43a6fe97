import { ref, TerraformElement, Token } from "cdktf";
import type { Construct } from "constructs";

/**
 * An `ephemeral "<type>" "<name>"` block (Terraform >= 1.10): read or generated during each run and
 * never written to state or plan files. cdktf 0.21 has no class for ephemeral resources, so this
 * element writes the block itself, in the shape Terraform's JSON syntax gives every labelled block
 * (`{"ephemeral": {"<type>": {"<name>": {...arguments}}}}`, as for `resource` and `data`).
 *
 * It is a TerraformElement rather than a raw `TerraformStack.addOverride` on purpose: elements are
 * resolved in cdktf's "prepare" pass, which is where references to another stack (for example
 * the master secret ARN from `<env>-platform`) become remote-state lookups; values in raw stack
 * overrides skip that pass and a cross-stack token in them would not resolve.
 *
 * Ephemeral values may only flow into ephemeral contexts: write-only arguments (`*_wo`),
 * provider blocks, other ephemeral resources and locals used there. Terraform rejects any other use.
 */
export class EphemeralResource extends TerraformElement {
  /** The ephemeral resource type, e.g. "aws_secretsmanager_random_password". */
  public readonly terraformResourceType: string;
  private readonly config: Readonly<Record<string, unknown>>;

  /**
   * @param type the ephemeral resource type of the provider.
   * @param config its arguments, with Terraform (snake_case) names; tokens are allowed.
   */
  constructor(
    scope: Construct,
    id: string,
    type: string,
    config: Readonly<Record<string, unknown>>,
  ) {
    super(scope, id, `ephemeral.${type}`);
    this.terraformResourceType = type;
    this.config = config;
  }

  /** A reference to one of its attributes, usable only in an ephemeral context. */
  public getStringAttribute(attribute: string): string {
    return Token.asString(
      ref(
        `ephemeral.${this.terraformResourceType}.${this.friendlyUniqueId}.${attribute}`,
        this.cdktfStack,
      ),
    );
  }

  public override toTerraform(): Record<string, unknown> {
    return {
      ephemeral: { [this.terraformResourceType]: { [this.friendlyUniqueId]: { ...this.config } } },
    };
  }
}
