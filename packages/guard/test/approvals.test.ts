import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  APPROVALS_ENV_VAR,
  APPROVALS_FILE,
  ApprovalError,
  RENAMED_APPROVALS,
  refuseRenamedApprovals,
} from "../src/approvals";

describe("approvals under their earlier names are refused, never ignored", () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "guard-approvals-"));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("passes when neither the old variable nor the old file is there", () => {
    mkdirSync(join(root, ".github"));
    writeFileSync(join(root, APPROVALS_FILE), "prod-platform:aws_db_instance.x\n");
    expect(() =>
      refuseRenamedApprovals({ [APPROVALS_ENV_VAR]: "prod-platform:aws_db_instance.x" }, root),
    ).not.toThrow();
  });

  it.each(["prod-platform:aws_db_instance.x", ""])(
    "names the new variable when %j is in the old one",
    (value) => {
      expect(() => refuseRenamedApprovals({ [RENAMED_APPROVALS.envVar]: value }, root)).toThrow(
        new ApprovalError(
          "PGFORKS_APPROVE_DESTROY was renamed to PGFORKS_APPROVED_CHANGES (approvals now cover destroys and lowered protections): set PGFORKS_APPROVED_CHANGES instead",
        ),
      );
    },
  );

  it("names the new file when the old one exists", () => {
    mkdirSync(join(root, ".github"));
    writeFileSync(join(root, RENAMED_APPROVALS.file), "prod-platform:aws_db_instance.x\n");
    expect(() => refuseRenamedApprovals({}, root)).toThrow(
      new ApprovalError(
        ".github/destroy-approvals.txt was renamed to .github/approved-changes.txt (approvals now cover destroys and lowered protections): move its lines there",
      ),
    );
  });
});
