import { getSystemErrorMap } from 'node:util';

/**
 * The one place where a `-errno` becomes an Error, shaped like Node's own system errors
 * (lib/internal/errors.js `UVException`): message `ENOENT: no such file or directory, open '/x'`,
 * and `errno` (negative, as in Node), `code`, `syscall`, `path`, `dest`.
 */
export interface SystemError extends Error {
  errno: number;
  code: string;
  syscall: string;
  path?: string;
  dest?: string;
}

/** Linux errnos libuv has no name for, which io_uring returns (Node would say 'UNKNOWN'). */
const extra = new Map<number, [string, string]>([
  [-62, ['ETIME', 'timer expired']],
  [-77, ['EBADFD', 'file descriptor in bad state']],
  [-512, ['ERESTARTSYS', 'interrupted system call should be restarted']],
]);

let uvMap: Map<number, [string, string]> | undefined;

/** `[code, description]` for a negative errno, as Node names it. */
export function errnoName(errno: number): [string, string] {
  uvMap ??= getSystemErrorMap() as Map<number, [string, string]>;
  return uvMap.get(errno) ?? extra.get(errno) ?? ['UNKNOWN', 'unknown error'];
}

export interface ErrorContext {
  path?: string | Buffer | URL;
  dest?: string | Buffer | URL;
}

/**
 * A Node-shaped error for `errno` (negative, as native calls return it) from `syscall`.
 * `path`/`dest` appear in the message and as properties when given.
 */
export function uringError(errno: number, syscall: string, context?: ErrorContext): SystemError {
  const [code, description] = errnoName(errno);
  let message = `${code}: ${description}, ${syscall}`;
  const path = context?.path === undefined ? undefined : String(context.path);
  const dest = context?.dest === undefined ? undefined : String(context.dest);
  if (path !== undefined) message += ` '${path}'`;
  if (dest !== undefined) message += ` -> '${dest}'`;
  const error = new Error(message) as SystemError;
  error.errno = errno;
  error.code = code;
  error.syscall = syscall;
  if (path !== undefined) error.path = path;
  if (dest !== undefined) error.dest = dest;
  return error;
}

/** Returns `result` when it is not negative, else throws `uringError(result, syscall)`. */
export function check(result: number, syscall: string, context?: ErrorContext): number {
  if (result < 0) throw uringError(result, syscall, context);
  return result;
}

/** Node's `ERR_OUT_OF_RANGE` RangeError, as lib/internal/errors.js words it. */
export function outOfRange(name: string, range: string, received: unknown): RangeError & { code: string } {
  const error = new RangeError(
    `The value of "${name}" is out of range. It must be ${range}. Received ${String(received)}`,
  ) as RangeError & { code: string };
  error.code = 'ERR_OUT_OF_RANGE';
  return error;
}

/** Node's `ERR_INVALID_ARG_TYPE` TypeError. */
export function invalidArgType(name: string, expected: string, received: unknown): TypeError & { code: string } {
  const what = received === null ? 'null' : received === undefined ? 'undefined' : `type ${typeof received}`;
  const error = new TypeError(`The "${name}" argument must be ${expected}. Received ${what}`) as TypeError & { code: string };
  error.code = 'ERR_INVALID_ARG_TYPE';
  return error;
}
