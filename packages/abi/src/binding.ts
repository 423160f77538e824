import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * The native addon's interface. Every function returns a result or `-errno` and never throws;
 * arguments of the wrong type give `-EINVAL`. Callers go through the typed wrappers in this package.
 */
export interface NativeBinding {
  setup(entries: number, params: Uint8Array): number;
  enter(fd: number, toSubmit: number, minComplete: number, flags: number, arg?: ArrayBufferView | null): number;
  register(fd: number, opcode: number, arg: ArrayBufferView | ArrayBuffer | null, nrArgs: number): number;
  close(fd: number): number;
  eventfd(initval: number, flags: number): number;
  fcntl(fd: number, cmd: number, arg: number): number;
  mmap(fd: number, offset: number, length: number): ArrayBuffer | number;
  allocAligned(length: number): ArrayBuffer | number;
  addressOf(view: ArrayBufferView | ArrayBuffer): number;
  releaseBlock(length: number): number;
  pipe(out: Int32Array, flags: number): number;
  getsockname(fd: number, out: ArrayBufferView): number;
  getpeername(fd: number, out: ArrayBufferView): number;
  setsockopt(fd: number, level: number, name: number, value: ArrayBufferView): number;
  getsockopt(fd: number, level: number, name: number, out: ArrayBufferView): number;
  accept4(fd: number, flags: number): number;
  shutdown(fd: number, how: number): number;
  ioctlInt(fd: number, request: number): number;
  closeOnTeardown(fd: number): number;
  forgetOnTeardown(fd: number): number;
  fatalException(error: unknown): number;
  Poller: new (fd: number, callback: (status: number) => void) => NativePoller;
}

/** The native side of {@link Poller}: a uv_poll_t on one fd; every method returns 0 or -errno. */
export interface NativePoller {
  start(): number;
  stop(): number;
  ref(): number;
  unref(): number;
  close(): number;
}

/** Where the addon may be, relative to this module (src/ in tests, dist/ when built). */
const candidates = ['../build/Release/uring_abi.node', '../build/Debug/uring_abi.node'];

/**
 * Loads the addon from the first of `candidates` (paths relative to this module) that loads, or
 * throws one Error that says what was tried and what to do. `URING_ADDON=/abs/path.node` loads
 * that build instead (the sanitizer build: scripts/sanitize.mjs).
 */
export function loadBinding(paths: readonly string[] = process.env.URING_ADDON ? [process.env.URING_ADDON] : candidates): NativeBinding {
  const require = createRequire(import.meta.url);
  const tried: string[] = [];
  let lastError: unknown;
  for (const candidate of paths) {
    const file = fileURLToPath(new URL(candidate, import.meta.url));
    tried.push(file);
    if (!existsSync(file)) continue;
    try {
      return require(file) as NativeBinding;
    } catch (error) {
      lastError = error;
    }
  }
  const cause = lastError instanceof Error ? `\nLoading it failed: ${lastError.message}` : ' (not built)';
  const platform =
    process.platform === 'linux'
      ? buildHint(fileURLToPath(new URL('..', import.meta.url)))
      : `io_uring exists only on Linux; this is ${process.platform}. Use @uring/fs and @uring/net, which fall back to Node's own modules.`;
  throw new Error(
    `@uring/abi: could not load the native addon uring_abi.node${cause}\nTried: ${tried.join(', ')}\n${platform}`,
  );
}

/**
 * How to build the addon where it is missing or does not load, for the package at `packageDir`:
 * in this repository through its workspace; once installed from npm (the package carries the addon
 * built where it was packed, and its sources; cmake-js and node-addon-api are only its
 * devDependencies), with npm in the package's own directory.
 */
export function buildHint(packageDir: string): string {
  const needs = "needs cmake, a C++17 compiler and Node's headers";
  return /[\\/]node_modules[\\/]/.test(packageDir)
    ? `Build it from source (${needs}): cd ${packageDir.replace(/[\\/]$/, '')} && npm install && npx cmake-js compile`
    : `Build it with \`pnpm --filter @uring/abi build\` (${needs}).`;
}

let binding: NativeBinding | undefined;

/** The native addon, loaded on first use. Throws one actionable Error when it cannot be loaded. */
export function native(): NativeBinding {
  return (binding ??= loadBinding());
}
