import type { EnvironmentConfig } from "@pgforks/config";

/**
 * The pg_dump command that backs up a tenant's database before it is dropped (seed 001,
 * "Backup specific database"): through the SSM tunnel when the environment has one, else against
 * the instance endpoint. Custom format so pg_restore can restore it selectively. The master
 * user's password is the RDS-managed secret in Secrets Manager.
 */
export function pgDumpCommand(
  environment: Pick<EnvironmentConfig, "database" | "tunnel"> | undefined,
  database: string,
): string {
  const host = environment?.tunnel ? "localhost" : "<instance endpoint>";
  const port = environment?.tunnel?.localPort ?? environment?.database.port ?? "<port>";
  const user = environment?.database.masterUsername ?? "<master user>";
  return `pg_dump --host=${host} --port=${port} --username=${user} --format=custom --file=${database}-$(date +%Y%m%d).dump ${database}`;
}
