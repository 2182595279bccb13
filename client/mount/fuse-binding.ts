// Loading and driving @cocalc/fuse-native (libfuse2). It is an optional dependency, imported
// only by `gfs mount`, so the rest of gfs works without it; when it, libfuse or /dev/fuse is
// missing, the error says what to install. Two things the binding gets wrong are worked around
// here, each checked before it is relied on.

import { accessSync, constants as fsConstants, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { GfsError } from '../../shared/errors.js';
import type { FuseStat, FuseStatfs } from './stat.js';

export const FUSE_INSTALL_HINT = 'apt-get install fuse libfuse-dev pkg-config, then npm rebuild @cocalc/fuse-native';
const BINDING = '@cocalc/fuse-native';
const FUSE_DEVICE = '/dev/fuse';

type Callback = (code: number) => void;

/**
 * The operations the binding calls, as it calls them (read and write answer a byte count as the
 * code). The binding registers only those given; extended attributes are left out on purpose
 * (operations.ts says why).
 */
export interface FuseOperations {
  getattr(path: string, cb: (code: number, stat?: FuseStat) => void): void;
  readdir(path: string, cb: (code: number, names?: string[], stats?: FuseStat[]) => void): void;
  statfs(path: string, cb: (code: number, stats?: FuseStatfs) => void): void;
  access(path: string, mode: number, cb: Callback): void;
  mkdir(path: string, mode: number, cb: Callback): void;
  rmdir(path: string, cb: Callback): void;
  mknod(path: string, mode: number, dev: number, cb: Callback): void;
  unlink(path: string, cb: Callback): void;
  rename(from: string, to: string, cb: Callback): void;
  truncate(path: string, size: number, cb: Callback): void;
  ftruncate(path: string, fd: number, size: number, cb: Callback): void;
  chmod(path: string, mode: number, cb: Callback): void;
  chown(path: string, uid: number, gid: number, cb: Callback): void;
  utimens(path: string, atime: number, mtime: number, cb: Callback): void;
  open(path: string, flags: number, cb: (code: number, fd?: number) => void): void;
  read(path: string, fd: number, buffer: Buffer, length: number, position: number, cb: Callback): void;
  write(path: string, fd: number, buffer: Buffer, length: number, position: number, cb: Callback): void;
  flush(path: string, fd: number, cb: Callback): void;
  fsync(path: string, datasync: boolean, fd: number, cb: Callback): void;
  fsyncdir(path: string, datasync: boolean, fd: number, cb: Callback): void;
  release(path: string, fd: number, cb: Callback): void;
  link(from: string, to: string, cb: Callback): void;
  symlink(from: string, to: string, cb: Callback): void;
  readlink(path: string, cb: (code: number, target?: string) => void): void;
}

/** What this module uses of a Fuse instance (including two internals, see below). */
interface FuseInstance {
  mount(cb: (error: Error | null) => void): void;
  unmount(cb: (error: Error | null) => void): void;
  _fuseOptions(): string;
  _handlers: ((...args: unknown[]) => unknown)[];
}

type FuseConstructor = new (
  mountpoint: string,
  operations: FuseOperations,
  options: { timeout: number | false },
) => FuseInstance;

/** A loaded binding: mounts `operations` at a mount point with raw libfuse options. */
export interface FuseBinding {
  mount(
    mountpoint: string,
    operations: FuseOperations,
    options: readonly string[],
    opTimeoutMs: number,
  ): Promise<Mounted>;
}

export interface Mounted {
  /** `fusermount -uz` (lazy: processes still inside get ENOTCONN), then the binding lets go. */
  unmount(): Promise<void>;
}

/**
 * Checks /dev/fuse and fusermount, then imports the binding. Every failure is one GfsError whose
 * message names what to install.
 */
export async function loadFuseBinding(): Promise<FuseBinding> {
  checkFuseAvailable(FUSE_DEVICE, process.env.PATH ?? '');
  let Fuse: FuseConstructor;
  let version: string;
  try {
    const module = (await import(BINDING)) as { default: FuseConstructor };
    Fuse = module.default;
    version = bindingVersion();
  } catch (error) {
    throw bindingError(error);
  }
  return {
    mount: (mountpoint, operations, options, opTimeoutMs) =>
      mountWith(Fuse, version, mountpoint, operations, options, opTimeoutMs),
  };
}

/** The checks that need no binding: the device and the helper libfuse2 unmounts with. */
export function checkFuseAvailable(devicePath: string, searchPath: string): void {
  try {
    accessSync(devicePath, fsConstants.R_OK | fsConstants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? `${devicePath} is missing (${FUSE_INSTALL_HINT}; in a container, pass the device in)`
        : `${devicePath} is not usable (${code}; run as root or join the fuse group)`;
    throw new GfsError('UNAVAILABLE', `FUSE is not available: ${why}`, devicePath);
  }
  if (findOnPath('fusermount', searchPath) === undefined) {
    throw new GfsError(
      'UNAVAILABLE',
      `FUSE is not available: fusermount is missing (${FUSE_INSTALL_HINT})`,
      'fusermount',
    );
  }
}

function findOnPath(command: string, searchPath: string): string | undefined {
  for (const directory of searchPath.split(delimiter)) {
    if (directory === '') continue;
    const candidate = join(directory, command);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

function bindingError(error: unknown): GfsError {
  const detail = String((error as Error)?.message ?? error).split('\n')[0] ?? '';
  const code = (error as { code?: unknown })?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
    return new GfsError('UNAVAILABLE', `the FUSE binding is not installed (${FUSE_INSTALL_HINT})`, BINDING);
  }
  if (/libfuse/.test(detail)) {
    return new GfsError('UNAVAILABLE', `libfuse2 is missing (${FUSE_INSTALL_HINT})`, detail);
  }
  return new GfsError('UNAVAILABLE', `the FUSE binding failed to load (${FUSE_INSTALL_HINT})`, detail);
}

function bindingVersion(): string {
  const require = createRequire(import.meta.url);
  const manifest = JSON.parse(readFileSync(require.resolve(`${BINDING}/package.json`), 'utf8')) as { version?: string };
  return manifest.version ?? 'unknown';
}

async function mountWith(
  Fuse: FuseConstructor,
  version: string,
  mountpoint: string,
  operations: FuseOperations,
  options: readonly string[],
  opTimeoutMs: number,
): Promise<Mounted> {
  const fuse = new Fuse(mountpoint, operations, { timeout: opTimeoutMs });
  // The options object cannot express big_writes, max_write, ac_attr_timeout…: hand libfuse the
  // raw list instead (DESIGN §6). `_fuseOptions` is what the binding passes to fuse_mount/fuse_new.
  const raw = `-o${options.join(',')}`;
  fuse._fuseOptions = () => raw;
  fixUtimens(fuse, version);
  await new Promise<void>((resolve, reject) => {
    fuse.mount((error) => (error ? reject(error) : resolve()));
  }).catch((error: unknown) => {
    throw new GfsError('UNAVAILABLE', `mount failed: ${String((error as Error)?.message ?? error)}`, mountpoint);
  });
  return {
    unmount: () =>
      new Promise<void>((resolve, reject) => {
        fuse.unmount((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/**
 * fuse-native 2.4 hands utimens the access time twice (its C glue converts `atime` into both
 * argument pairs), so the modification time is lost. The true value sits in the per-thread
 * request struct the handler gets as its first argument: `atime` at byte 104 and `mtime` at 112 on
 * 64-bit Linux. The handler is wrapped to read it there, only when the struct's `atime` matches
 * the argument (so a different layout is never trusted); otherwise utimens sees atime as mtime.
 */
const OP_UTIMENS = 12;
const ATIME_OFFSET = 104;
const MTIME_OFFSET = 112;
const TWO_32 = 4294967296;

function fixUtimens(fuse: FuseInstance, version: string): void {
  const original = fuse._handlers[OP_UTIMENS];
  if (original === undefined || !/^2\.4\./.test(version) || (process.arch !== 'x64' && process.arch !== 'arm64'))
    return;
  fuse._handlers[OP_UTIMENS] = function (this: unknown, ...args: unknown[]) {
    const [native, opcode, path, atimeLow, atimeHigh] = args;
    if (Buffer.isBuffer(native) && native.byteLength >= MTIME_OFFSET + 8) {
      const atimeMs = Number(atimeLow) + Number(atimeHigh) * TWO_32;
      if (Number(native.readBigUInt64LE(ATIME_OFFSET)) === atimeMs) {
        const mtimeMs = Number(native.readBigUInt64LE(MTIME_OFFSET));
        const low = mtimeMs % TWO_32;
        return original.call(this, native, opcode, path, atimeLow, atimeHigh, low, (mtimeMs - low) / TWO_32);
      }
    }
    return original.apply(this, args);
  };
}
