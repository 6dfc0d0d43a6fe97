import { ADMIN_DATABASE, type EnvironmentConfig, TUNNEL_HOST } from "@pgforks/config";

/** Where the admin (the RDS master user) connects for a backup or a restore. */
export interface AdminConnection {
  readonly host: string;
  readonly port: number | string;
  readonly user: string;
  /** libpq sslmode. Default "require" (RDS forces TLS; the tunnel's 127.0.0.1 matches no certificate name). */
  readonly sslmode?: string;
}

/** A tenant's role and database. */
export interface BackedUpTenant {
  readonly name: string;
  readonly database: string;
}

/**
 * The admin connection of an AWS environment as an operator has it: through the SSM tunnel when
 * the environment has one, else the instance endpoint (a placeholder to fill in). The master
 * user's password is the RDS-managed secret in Secrets Manager (libpq asks, or PGPASSWORD).
 */
export function environmentAdminConnection(
  environment: Pick<EnvironmentConfig, "database" | "tunnel"> | undefined,
): AdminConnection {
  return {
    host: environment?.tunnel ? TUNNEL_HOST : "<instance endpoint>",
    port: environment?.tunnel?.localPort ?? environment?.database.port ?? "<port>",
    user: environment?.database.masterUsername ?? "<master user>",
  };
}

function conninfo(connection: AdminConnection, database: string, user = connection.user): string {
  const sslmode = connection.sslmode ?? "require";
  return `"host=${connection.host} port=${connection.port} user=${user} dbname=${database} sslmode=${sslmode}"`;
}

/** The dump file a backup writes, dated by the shell. */
export function backupFileOf(tenant: BackedUpTenant): string {
  return `${tenant.database}-$(date +%Y%m%d).dump`;
}

/**
 * The shell commands that back up a tenant's database (seed 001, "Backup specific database"), as
 * the admin. The tenant's role owns its schema and everything the app created in it, and the admin
 * is neither a superuser nor a member that inherits the tenant's privileges (PostgreSQL 16 gives a
 * role's creator ADMIN OPTION only), so a plain pg_dump as the admin fails with "permission denied
 * for schema". The admin first grants itself the tenant's role (it may: ADMIN OPTION), dumps, and
 * revokes the grant again, also when the dump failed (the audit reports a membership left behind).
 * Custom format: compressed, and pg_restore can restore it selectively.
 */
export function backupCommands(connection: AdminConnection, tenant: BackedUpTenant): string[] {
  const admin = conninfo(connection, ADMIN_DATABASE);
  return [
    `psql ${admin} -c 'GRANT "${tenant.name}" TO "${connection.user}" WITH INHERIT TRUE'`,
    `pg_dump ${conninfo(connection, tenant.database)} --format=custom --file=${backupFileOf(tenant)}`,
    `psql ${admin} -c 'REVOKE "${tenant.name}" FROM "${connection.user}"'`,
  ];
}

/**
 * The shell commands that restore a backup into the tenant's (existing) database, as the admin
 * acting as the tenant (`--role`), so what is restored belongs to the tenant again. The extensions
 * and the tenant's schema are left out of the list: the tenants stack keeps them (the extensions
 * belong to the admin, and the tenant may not create schemas). `--clean` drops what the dump
 * recreates first; the grant and its revoke are the backup's.
 */
export function restoreCommands(
  connection: AdminConnection,
  tenant: BackedUpTenant,
  file: string,
): string[] {
  const [grant, , revoke] = backupCommands(connection, tenant);
  const list = `${tenant.database}.list`;
  return [
    `pg_restore --list ${file} | grep -v -E ' (EXTENSION|SCHEMA) ' > ${list}`,
    grant as string,
    `pg_restore --dbname=${conninfo(connection, tenant.database)} --role=${tenant.name} --no-owner --clean --if-exists --use-list=${list} ${file}`,
    revoke as string,
  ];
}
