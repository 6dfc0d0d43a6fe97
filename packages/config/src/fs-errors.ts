import { relative } from "node:path";
import { types } from "node:util";

/** What an errno code means to the person who runs the command. */
const REASONS: Record<string, string> = {
  ENOENT: "does not exist",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EISDIR: "is a directory, expected a file",
  ENOTDIR: "a part of the path is not a directory",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EROFS: "the file system is read-only",
  EEXIST: "already exists",
  EMFILE: "too many open files",
  EBUSY: "busy",
  ENAMETOOLONG: "the name is too long",
  ELOOP: "too many symbolic links",
  EIO: "input/output error",
};

/** What an errno code means, e.g. "no space left on the device" for ENOSPC. */
export function fileSystemReason(code: string): string {
  return REASONS[code] ?? "failed";
}

/** A file-system failure, phrased as one line that names the file; never printed with a stack. */
export class FileSystemError extends Error {
  constructor(
    readonly file: string,
    readonly code: string,
    action: string,
    /** Said instead of the errno code's meaning. Default: fileSystemReason(code). */
    reason?: string,
  ) {
    super(
      `${FileSystemError.display(file)}: cannot ${action}: ${reason ?? fileSystemReason(code)} (${code})`,
    );
    this.name = "FileSystemError";
  }

  /** A path as people type it: relative to the working directory when below it. */
  static display(file: string): string {
    const rel = relative(process.cwd(), file);
    return rel === "" || rel.startsWith("..") ? file : rel;
  }
}

/**
 * Whether `error` is a Node file-system error (it has an errno code such as ENOENT). Checked with
 * `types.isNativeError`, not `instanceof Error`: an error thrown by `fs` inside a Jest test comes
 * from another realm, and `instanceof` would miss it.
 */
export function isErrnoError(error: unknown): error is NodeJS.ErrnoException & { code: string } {
  return types.isNativeError(error) && typeof (error as NodeJS.ErrnoException).code === "string";
}

/**
 * Runs `body`, turning a file-system error into a FileSystemError naming `file` and what was
 * being done ("read", "write", ...). Other errors pass through unchanged.
 */
export function onFile<T>(file: string, action: string, body: () => T): T {
  try {
    return body();
  } catch (error) {
    if (error instanceof FileSystemError || !isErrnoError(error)) throw error;
    throw new FileSystemError(file, error.code, action);
  }
}
