import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  discoverProviderMirror,
  MIRROR_ENV_VAR,
  MirrorNotFoundError,
  mirrorCandidates,
  scanMirror,
} from "../src/mirror";
import { fakeMirror, FIXTURE_PLATFORM as PLATFORM, tempDir } from "./fixture";

describe("scanMirror", () => {
  it("inventories unpacked providers for the platform only, newest version first", () => {
    const mirror = scanMirror(fakeMirror(), PLATFORM);
    expect(mirror.providers).toEqual([
      { source: "registry.terraform.io/hashicorp/aws", versions: ["5.100.0", "5.99.1"] },
    ]);
    expect(mirror.hasPackedPackages).toBe(false);
  });

  it("understands the packed (.zip) layout too", () => {
    const root = tempDir("packed");
    const typeDir = join(root, "registry.terraform.io", "cyrilgdn", "postgresql");
    mkdirSync(typeDir, { recursive: true });
    writeFileSync(join(typeDir, `terraform-provider-postgresql_1.26.0_${PLATFORM}.zip`), "");
    const mirror = scanMirror(root, PLATFORM);
    expect(mirror.providers).toEqual([
      { source: "registry.terraform.io/cyrilgdn/postgresql", versions: ["1.26.0"] },
    ]);
    expect(mirror.hasPackedPackages).toBe(true);
  });
});

describe("discoverProviderMirror", () => {
  it("uses PGFORKS_TF_MIRROR when set, ignoring the well-known places", () => {
    const mirror = fakeMirror();
    const other = fakeMirror();
    const found = discoverProviderMirror(
      { [MIRROR_ENV_VAR]: mirror },
      { platform: PLATFORM, candidates: [other] },
    );
    expect(found.path).toBe(mirror);
    expect(found.providers.map((p) => p.source)).toEqual(["registry.terraform.io/hashicorp/aws"]);
  });

  it("names the variable when PGFORKS_TF_MIRROR holds no provider", () => {
    const empty = tempDir("empty");
    expect(() =>
      discoverProviderMirror({ [MIRROR_ENV_VAR]: empty }, { platform: PLATFORM }),
    ).toThrow(new RegExp(`${MIRROR_ENV_VAR}=${empty}: no provider for ${PLATFORM}`));
    expect(() =>
      discoverProviderMirror({ [MIRROR_ENV_VAR]: join(empty, "nope") }, { platform: PLATFORM }),
    ).toThrow(/PGFORKS_TF_MIRROR=.*does not exist/);
  });

  it("searches the candidates in order and skips those without providers", () => {
    const empty = tempDir("empty");
    const mirror = fakeMirror();
    const found = discoverProviderMirror({}, { platform: PLATFORM, candidates: [empty, mirror] });
    expect(found.path).toBe(mirror);
  });

  it("fails with the searched places and the variable to set when nothing is found", () => {
    const empty = tempDir("empty");
    let error: unknown;
    try {
      discoverProviderMirror(
        {},
        { platform: PLATFORM, candidates: [empty, join(empty, "missing")] },
      );
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MirrorNotFoundError);
    expect((error as Error).message).toContain(empty);
    expect((error as Error).message).toContain(MIRROR_ENV_VAR);
  });
});

describe("mirrorCandidates", () => {
  const addOnRoot = mkdtempSync(join(tmpdir(), "pgforks-addon-"));
  mkdirSync(join(addOnRoot, "tf-bundle", "registry.terraform.io"), { recursive: true });
  mkdirSync(join(addOnRoot, "unrelated-software"), { recursive: true });
  afterAll(() => rmSync(addOnRoot, { recursive: true, force: true }));

  it("lists Terraform's implied mirror directories, honouring XDG variables, then mirrors found under the add-on root", () => {
    const env = { HOME: "/home/u", PGFORKS_ADD_ON_ROOT: addOnRoot };
    expect(
      mirrorCandidates({ ...env, XDG_DATA_HOME: "/xdg/data", XDG_DATA_DIRS: "/a:/b" }),
    ).toEqual([
      "/home/u/.terraform.d/plugins",
      "/xdg/data/terraform/plugins",
      "/a/terraform/plugins",
      "/b/terraform/plugins",
      join(addOnRoot, "tf-bundle"),
    ]);
    expect(mirrorCandidates(env)).toEqual([
      "/home/u/.terraform.d/plugins",
      "/home/u/.local/share/terraform/plugins",
      "/usr/local/share/terraform/plugins",
      "/usr/share/terraform/plugins",
      join(addOnRoot, "tf-bundle"),
    ]);
  });
});
