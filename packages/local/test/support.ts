import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { auditEnvironment, type Finding } from "@pgforks/audit";
import type { TenantConfig } from "@pgforks/config";
import { generatePassword, startPostgres, type TemporaryPostgres } from "@pgforks/postgres-server";
import { Client } from "pg";
import { ensureLocalCredentials, type LocalCredentials } from "../src/credentials";
import {
  applyTenants,
  LOCAL_ADMIN_ROLE,
  LOCAL_AUDIT_OPTIONS,
  localAdminConnections,
  localAuditedEnvironment,
} from "../src/local-target";

/** Generous: two cores shared with other suites; a real apply of a few tenants takes 5-20 s. */
export const APPLY_TIMEOUT_MS = 300_000;

/**
 * A PostgreSQL 16 bootstrapped like RDS, a Terraform working directory and local credentials,
 * all in one temp folder removed by close().
 */
export class RealApplyWorld {
  readonly dir = mkdtempSync(join(tmpdir(), "pgforks-real-apply-"));
  server!: TemporaryPostgres;
  credentials!: LocalCredentials;
  tenants: readonly TenantConfig[] = [];

  async open(): Promise<void> {
    this.server = await startPostgres({
      rds: { adminRole: LOCAL_ADMIN_ROLE, adminPassword: generatePassword() },
    });
  }

  async close(): Promise<void> {
    await this.server?.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * Applies `tenants` with real Terraform and the real provider, then asserts what must hold after
   * every step: a second `terraform plan -detailed-exitcode` exits 0, and the audit finds nothing.
   */
  async apply(
    tenants: readonly TenantConfig[],
    onPlan?: (planJson: string) => void,
  ): Promise<void> {
    await this.applyOnly(tenants, onPlan);
    const plan = await this.plan();
    expect({ exitCode: plan.code, output: plan.code === 0 ? "" : plan.output }).toEqual({
      exitCode: 0,
      output: "",
    });
    expect(await this.findings()).toEqual([]);
  }

  /** Applies without the checks (for steps expected to fail); `onPlan` sees the saved plan's JSON. */
  async applyOnly(
    tenants: readonly TenantConfig[],
    onPlan?: (planJson: string) => void,
  ): Promise<void> {
    this.tenants = tenants;
    this.credentials = ensureLocalCredentials(join(this.dir, "credentials.json"), tenants);
    await applyTenants({
      server: this.server,
      tenants,
      credentials: this.credentials,
      workDir: join(this.dir, "terraform"),
      ...(onPlan ? { onPlan } : {}),
    });
  }

  /** The Terraform state file's text. */
  stateText(): string {
    return readFileSync(join(this.dir, "terraform", "terraform.tfstate"), "utf8");
  }

  /** `terraform plan -detailed-exitcode` of the current configuration. */
  async plan(): Promise<{ code: number; output: string }> {
    const { terraform } = await this.terraformFor(this.tenants);
    return terraform.planExitCode();
  }

  private async terraformFor(tenants: readonly TenantConfig[]) {
    const { LocalTerraform } = await import("../src/local-stack");
    const { passwordVerifiers } = await import("../src/credentials");
    return {
      terraform: new LocalTerraform(join(this.dir, "terraform"), {
        adminPassword: this.server.password ?? "",
        verifiers: passwordVerifiers(
          ensureLocalCredentials(join(this.dir, "credentials.json"), tenants),
        ),
      }),
    };
  }

  async findings(): Promise<Finding[]> {
    const report = await auditEnvironment(
      localAdminConnections(this.server),
      localAuditedEnvironment(this.tenants),
      LOCAL_AUDIT_OPTIONS,
    );
    return [...report.findings];
  }

  /** A connection as a tenant (its current password) to `database`. */
  async connectAs(tenant: string, database: string, password?: string): Promise<Client> {
    const client = new Client({
      host: this.server.host,
      port: this.server.port,
      user: tenant,
      password: password ?? this.credentials.tenants[tenant]?.password ?? "",
      database,
    });
    await client.connect();
    return client;
  }

  /** Runs `sql` as `tenant` in `database`; resolves to the rows, or rejects with the server's error. */
  async sqlAs(tenant: string, database: string, sql: string): Promise<unknown[]> {
    const client = await this.connectAs(tenant, database);
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  }

  /** Runs `sql` as the admin (the RDS master stand-in). */
  async sqlAsAdmin(database: string, sql: string, values: unknown[] = []): Promise<unknown[]> {
    const client = await localAdminConnections(this.server)(database);
    try {
      return (await client.query(sql, values)).rows;
    } finally {
      await client.end();
    }
  }

  serverLog(): string {
    return readFileSync(this.server.logFile, "utf8");
  }
}
