import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { loadEnvironment } from "@pgforks/config";
import { readdedSecretCommands } from "../src/readd";

describe("readdedSecretCommands", () => {
  const prod = loadEnvironment("prod");
  const fintech = prod.tenants.find((t) => t.name === "fintech");
  if (!fintech) throw new Error("environments/prod/tenants.yaml has no fintech");

  it("restores the secret by name and imports it by ARN at its platform-stack address", () => {
    const [restore, synth, init, importLine] = readdedSecretCommands(prod.environment, fintech);
    expect(restore).toBe(
      "aws secretsmanager restore-secret --secret-id pgforks-prod/tenants/fintech",
    );
    // Before the import: a cdktf.out from while the tenant was dropped has no such address.
    expect(synth).toBe("npm run synth");
    expect(init).toBe("cd cdktf.out/stacks/prod-platform && terraform init");
    expect(importLine).toMatch(
      /^terraform import 'aws_secretsmanager_secret\.tenant-secrets_fintech_[0-9A-F]{8}' "\$\(aws secretsmanager describe-secret --secret-id pgforks-prod\/tenants\/fintech --query ARN --output text\)"$/,
    );
  });

  it("is what docs/operations.md tells operators to run, line for line", () => {
    const runbook = readFileSync(resolve(__dirname, "../../../docs/operations.md"), "utf8");
    const lines = runbook.split("\n").map((l) => l.trim());
    for (const line of readdedSecretCommands(prod.environment, fintech)) {
      expect(lines).toContain(line);
    }
  });
});
