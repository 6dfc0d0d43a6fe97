/**
 * How much temporary-file space one session may use (PostgreSQL `temp_file_limit`). Sorts and
 * hashes that outgrow work_mem spill to temporary files on the instance's data volume (RDS User
 * Guide, "Managing temporary files with PostgreSQL"), the volume every tenant's data is on: without
 * a limit one tenant's runaway query fills the disk of all of them.
 */

/** The default share of the allocated storage, in words (the schema's description says it). */
export const DEFAULT_TEMP_FILE_LIMIT_SHARE =
  "a tenth of allocatedStorageGb, rounded down, at least 1";

/** temp_file_limit is an int in kB (at most 2147483647, PostgreSQL's INT_MAX): 2047 whole GB. */
export const MAX_TEMP_FILE_LIMIT_GB = Math.floor(2147483647 / (1024 * 1024));

/** The limit in GB: the configured one, else a tenth of the allocated storage (at least 1). */
export function tempFileLimitGb(database: {
  readonly allocatedStorageGb: number;
  readonly tempFileLimitGb?: number | undefined;
}): number {
  return (
    database.tempFileLimitGb ??
    Math.min(MAX_TEMP_FILE_LIMIT_GB, Math.max(1, Math.floor(database.allocatedStorageGb / 10)))
  );
}

/** The parameter's value: the limit in kB, its unit. */
export function tempFileLimitKb(database: Parameters<typeof tempFileLimitGb>[0]): number {
  return tempFileLimitGb(database) * 1024 * 1024;
}
