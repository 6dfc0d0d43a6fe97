/**
 * What a tenant may do on the shared server, used by the constructs, the tenant CLI and the audit.
 */

/** The database the admin (RDS master user) connects to; PUBLIC loses CONNECT and TEMPORARY on it. */
export const ADMIN_DATABASE = "postgres";

/**
 * The default template. PostgreSQL gives PUBLIC CONNECT and TEMPORARY on it, and a role that may
 * connect can leave large objects and default privileges there without any schema privilege. Those
 * outlive the tenant's own database, and DROP ROLE then fails ("some objects depend on it"), so a
 * tenant could block its own drop. PUBLIC loses CONNECT and TEMPORARY on it as on ADMIN_DATABASE;
 * tenant databases are copied from template0, never from it.
 */
export const TEMPLATE_DATABASE = "template1";

/**
 * Where the admin connects when the environment has a tunnel: the local end of the SSM port
 * forward (docs/operations.md, "Connecting through the tunnel"). The tenants stack's provider, the
 * audit's default and the backup commands `tenant drop` prints all use it.
 */
export const TUNNEL_HOST = "127.0.0.1";

/**
 * What a tenant holds on its database: CONNECT and TEMPORARY, not CREATE. CREATE on a database
 * lets a role create schemas, and a schema named like the admin role would sit first on the
 * admin's search path ("$user", public) in that database, where the provider's sessions run
 * unqualified catalog functions. The tenant creates its objects in its own schema instead.
 */
export const TENANT_DATABASE_PRIVILEGES = ["CONNECT", "TEMPORARY"] as const;

/**
 * The environment folder of the local target (`npm start`): only a tenants.yaml, applied to a
 * PostgreSQL 16 on this machine; not an AWS environment.
 */
export const LOCAL_ENVIRONMENT = "local";
