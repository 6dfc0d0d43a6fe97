import { DataResource, Fn } from "cdktf";
import { Construct } from "constructs";

/** Characters of the generation id appended to the snapshot name (8 hex digits: 4 billion names). */
export const GENERATION_ID_LENGTH = 8;

/** Properties of {@link FinalSnapshotName}. */
export interface FinalSnapshotNameProps {
  /** DB instance identifier the snapshot is named after. Required. */
  readonly identifier: string;
  /**
   * The instance's arguments whose change replaces the instance (identifier, KMS key, master
   * username, subnet group...). Any change also starts a new generation, so the replacement gets
   * a new snapshot name. Required.
   */
  readonly replaceTriggers: Record<string, unknown>;
}

/**
 * A final-snapshot identifier unique per instance generation: `<identifier>-final-<8 hex>`.
 *
 * A fixed name breaks the second destroy/replace ("DBSnapshotAlreadyExists"), and a timestamp
 * changes on every plan. Instead a `terraform_data` resource (built into Terraform >= 1.4, no
 * provider binary) gets a fresh UUID as `id` when it is created; `triggers_replace` holds the
 * instance's force-new arguments so it is replaced in the same apply as the instance. The old
 * instance is deleted with the name stored in its state, the new one carries the new name.
 */
export class FinalSnapshotName extends Construct {
  /** The `terraform_data` whose id identifies the generation. */
  readonly generation: DataResource;
  /** `<identifier>-final-<first 8 characters of the generation id>` (known after apply). */
  readonly value: string;

  constructor(scope: Construct, id: string, props: FinalSnapshotNameProps) {
    super(scope, id);
    this.generation = new DataResource(this, "generation", {
      triggersReplace: props.replaceTriggers,
    });
    this.value = `${props.identifier}-final-${Fn.substr(this.generation.id, 0, GENERATION_ID_LENGTH)}`;
  }
}
