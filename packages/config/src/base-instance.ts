import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { ENVIRONMENT_FILE, environmentNames } from "./load";
import { databaseSchema } from "./schema/environment";

/** An environment's engine version and storage as written, whatever today's rules say of them. */
export interface WrittenInstanceSizing {
  readonly name: string;
  readonly database: {
    readonly engineVersion: string;
    readonly allocatedStorageGb: number;
    readonly allowMajorVersionUpgrade: boolean;
  };
}

/**
 * The engine version and allocated storage of each environment under `dir`, read from its
 * environment.yaml without today's rules: for a base branch those rules refuse (written before a
 * rule, e.g. engineVersion "16.8" before versions were major-only), so that what RDS can only
 * raise is still judged against it. A field missing or of another type takes the schema's
 * default; a file that cannot be read or parsed is left out.
 */
export function readWrittenInstanceSizings(dir: string): WrittenInstanceSizing[] {
  const shape = databaseSchema.shape;
  return environmentNames(dir).flatMap((name): WrittenInstanceSizing[] => {
    let database: Record<string, unknown>;
    try {
      const document: unknown = parse(readFileSync(join(dir, name, ENVIRONMENT_FILE), "utf8"));
      const written = (document as { database?: unknown } | null)?.database;
      database = typeof written === "object" && written !== null ? { ...written } : {};
    } catch {
      return [];
    }
    const { engineVersion, allocatedStorageGb, allowMajorVersionUpgrade } = database;
    return [
      {
        name,
        database: {
          // YAML reads an unquoted 16.8 as a number.
          engineVersion:
            typeof engineVersion === "string" || typeof engineVersion === "number"
              ? String(engineVersion)
              : shape.engineVersion.parse(undefined),
          allocatedStorageGb:
            typeof allocatedStorageGb === "number"
              ? allocatedStorageGb
              : shape.allocatedStorageGb.parse(undefined),
          allowMajorVersionUpgrade:
            typeof allowMajorVersionUpgrade === "boolean"
              ? allowMajorVersionUpgrade
              : shape.allowMajorVersionUpgrade.parse(undefined),
        },
      },
    ];
  });
}
