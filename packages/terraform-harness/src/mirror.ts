import { existsSync, readdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { compareVersions, parseVersion } from "./version-constraint";

/** Environment variable that names the provider filesystem mirror explicitly. */
export const MIRROR_ENV_VAR = "PGFORKS_TF_MIRROR";

/**
 * Add-on software root where machine images often unpack provider bundles (the FHS's /opt).
 * Terraform does not look there by itself: after Terraform's own implied-mirror directories,
 * every direct child of it that holds a `registry.terraform.io` folder is a candidate.
 */
export const ADD_ON_SOFTWARE_ROOT = "/opt";

/** Children of `root` laid out as a provider mirror (holding a registry.terraform.io folder). */
function mirrorsUnder(root: string): string[] {
  return subdirectories(root)
    .map((name) => join(root, name))
    .filter((dir) => isDirectory(join(dir, "registry.terraform.io")))
    .sort();
}

/** One provider found in a mirror, for the current platform. */
export interface MirrorProvider {
  /** Full source address, e.g. "registry.terraform.io/hashicorp/aws". */
  readonly source: string;
  /** Versions present for the current platform, newest first. */
  readonly versions: readonly string[];
}

/** A filesystem mirror and what it holds. */
export interface ProviderMirror {
  /** Absolute path of the mirror directory (the `path` of a filesystem_mirror block). */
  readonly path: string;
  /** Terraform platform the inventory was taken for, e.g. "linux_amd64". */
  readonly platform: string;
  /** Providers with at least one version for `platform`, sorted by source. */
  readonly providers: readonly MirrorProvider[];
  /** True when some provider is only in the packed (.zip) layout, which Terraform extracts per working dir. */
  readonly hasPackedPackages: boolean;
}

/** Raised when no usable mirror is found, or PGFORKS_TF_MIRROR points at one without providers. */
export class MirrorNotFoundError extends Error {
  override readonly name = "MirrorNotFoundError";
}

const GO_OS: Record<string, string> = { win32: "windows" };
const GO_ARCH: Record<string, string> = { x64: "amd64", ia32: "386" };

/** Terraform's name for the platform Node runs on ("linux_amd64", "darwin_arm64", ...). */
export function currentTerraformPlatform(): string {
  const os = GO_OS[process.platform] ?? process.platform;
  const arch = GO_ARCH[process.arch] ?? process.arch;
  return `${os}_${arch}`;
}

/**
 * Directories Terraform itself treats as implied local mirrors on Unix-like systems
 * (developer.hashicorp.com/terraform/cli/config/config-file#implied-local-mirror-directories):
 * ~/.terraform.d/plugins, then terraform/plugins under each XDG data directory
 * ($XDG_DATA_HOME, default ~/.local/share; $XDG_DATA_DIRS, default /usr/local/share:/usr/share);
 * followed by provider mirrors found under /opt.
 */
export function mirrorCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const home = env.HOME || homedir();
  const dataHome = env.XDG_DATA_HOME || join(home, ".local", "share");
  const dataDirs = (env.XDG_DATA_DIRS || "/usr/local/share:/usr/share")
    .split(":")
    .filter((dir) => dir !== "");
  const candidates = [
    join(home, ".terraform.d", "plugins"),
    join(dataHome, "terraform", "plugins"),
    ...dataDirs.map((dir) => join(dir, "terraform", "plugins")),
    ...mirrorsUnder(env.PGFORKS_ADD_ON_ROOT || ADD_ON_SOFTWARE_ROOT),
  ];
  return [...new Set(candidates)];
}

function subdirectories(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() || isDirectory(join(dir, entry.name)))
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function files(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function isVersion(text: string): boolean {
  try {
    parseVersion(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Inventories a filesystem mirror for `platform`. Both layouts Terraform reads are understood
 * (developer.hashicorp.com/terraform/cli/config/config-file#filesystem_mirror):
 * unpacked <host>/<namespace>/<type>/<version>/<os_arch>/terraform-provider-<type>*, and
 * packed <host>/<namespace>/<type>/terraform-provider-<type>_<version>_<os_arch>.zip.
 */
export function scanMirror(
  mirrorPath: string,
  platform: string = currentTerraformPlatform(),
): ProviderMirror {
  const path = resolve(mirrorPath);
  const providers: MirrorProvider[] = [];
  let hasPackedPackages = false;
  for (const host of subdirectories(path)) {
    for (const namespace of subdirectories(join(path, host))) {
      for (const type of subdirectories(join(path, host, namespace))) {
        const typeDir = join(path, host, namespace, type);
        const binaryPrefix = `terraform-provider-${type}`;
        const versions = new Set<string>();
        for (const version of subdirectories(typeDir).filter(isVersion)) {
          const platformDir = join(typeDir, version, platform);
          if (files(platformDir).some((file) => file.startsWith(binaryPrefix))) {
            versions.add(version);
          }
        }
        const packedSuffix = `_${platform}.zip`;
        for (const file of files(typeDir)) {
          if (!file.startsWith(`${binaryPrefix}_`) || !file.endsWith(packedSuffix)) continue;
          const version = file.slice(binaryPrefix.length + 1, -packedSuffix.length);
          if (isVersion(version) && !versions.has(version)) {
            versions.add(version);
            hasPackedPackages = true;
          }
        }
        if (versions.size > 0) {
          providers.push({
            source: `${host}/${namespace}/${type}`.toLowerCase(),
            versions: [...versions].sort((a, b) =>
              compareVersions(parseVersion(b), parseVersion(a)),
            ),
          });
        }
      }
    }
  }
  providers.sort((a, b) => a.source.localeCompare(b.source));
  return { path, platform, providers, hasPackedPackages };
}

/** Options of {@link discoverProviderMirror}. */
export interface DiscoverMirrorOptions {
  /** Directories to search when PGFORKS_TF_MIRROR is unset. Default: {@link mirrorCandidates}(env). */
  readonly candidates?: readonly string[];
  /** Platform to inventory. Default: the platform Node runs on. */
  readonly platform?: string;
}

/**
 * Finds the provider filesystem mirror: PGFORKS_TF_MIRROR when set (an error names the variable
 * if it holds no provider for this platform), otherwise the first of the candidate directories
 * that holds at least one provider.
 */
export function discoverProviderMirror(
  env: NodeJS.ProcessEnv = process.env,
  options: DiscoverMirrorOptions = {},
): ProviderMirror {
  const platform = options.platform ?? currentTerraformPlatform();
  const explicit = env[MIRROR_ENV_VAR];
  if (explicit) {
    if (!existsSync(explicit)) {
      throw new MirrorNotFoundError(
        `${MIRROR_ENV_VAR}=${explicit}: directory does not exist. Point it at a Terraform provider ` +
          `filesystem mirror (<host>/<namespace>/<type>/<version>/${platform}/terraform-provider-<type>_*).`,
      );
    }
    const mirror = scanMirror(explicit, platform);
    if (mirror.providers.length === 0) {
      throw new MirrorNotFoundError(
        `${MIRROR_ENV_VAR}=${explicit}: no provider for ${platform} found. Expected the layout ` +
          `<host>/<namespace>/<type>/<version>/${platform}/terraform-provider-<type>_* ` +
          `(or terraform-provider-<type>_<version>_${platform}.zip).`,
      );
    }
    return mirror;
  }
  const candidates = options.candidates ?? mirrorCandidates(env);
  for (const candidate of candidates) {
    if (!isDirectory(candidate)) continue;
    const mirror = scanMirror(candidate, platform);
    if (mirror.providers.length > 0) return mirror;
  }
  throw new MirrorNotFoundError(
    `No Terraform provider mirror found for ${platform}. Searched: ${candidates.join(", ")}. ` +
      `Set ${MIRROR_ENV_VAR} to a filesystem mirror directory ` +
      `(<host>/<namespace>/<type>/<version>/${platform}/terraform-provider-<type>_*).`,
  );
}
