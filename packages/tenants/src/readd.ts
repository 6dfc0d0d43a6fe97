import type { EnvironmentConfig, TenantConfig } from "@pgforks/config";
import { footprintEnvironment, intentOf, tenantFootprint } from "./footprint";
import { DEFAULT_SECRET_RECOVERY_WINDOW_DAYS } from "./secrets";

/**
 * What an operator runs before the platform apply that creates a dropped tenant's secret again
 * (docs/operations.md, "Re-adding a dropped tenant"). Terraform deleted the secret at the drop's
 * apply and Secrets Manager keeps its name for the recovery window, refusing to create a secret of
 * that name until then; so the old secret is restored and adopted into `<env>-platform` state
 * (import ID of `aws_secretsmanager_secret`: its ARN), from a synth of the re-added tenant. `tenant activate` of a dropped tenant
 * prints these lines, the runbook quotes them. Nothing to run once the window has passed.
 */
export function readdedSecretCommands(
  environment: EnvironmentConfig,
  tenant: TenantConfig,
): string[] {
  const intents = tenantFootprint(
    { ...tenant, state: "active" },
    footprintEnvironment(environment),
  );
  const secret = intentOf(intents, "secret");
  if (!secret) return [];
  const id = `--secret-id ${secret.args.name}`;
  return [
    `aws secretsmanager restore-secret ${id}`,
    // Terraform imports only to an address of the configuration: a cdktf.out synthesized while
    // the tenant was dropped has no secret there ("does not exist in the configuration").
    "npm run synth",
    `cd cdktf.out/stacks/${environment.name}-platform && terraform init`,
    `terraform import '${secret.address.terraformAddress}' "$(aws secretsmanager describe-secret ${id} --query ARN --output text)"`,
  ];
}

/** The days a dropped tenant's secret stays scheduled for deletion. */
export const READDED_SECRET_WINDOW_DAYS = DEFAULT_SECRET_RECOVERY_WINDOW_DAYS;
