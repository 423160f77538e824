import { getSystemErrorMap, inspect } from 'node:util';
import { Errno } from './constants.js';

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

/** What the caller knew about a failed operation, for the error: the path(s) it named, or a socket address. */
export interface ErrorContext {
  path?: string | Buffer | URL;
  dest?: string | Buffer | URL;
  /** A socket operation: the error takes node:net's shape instead (see netError). */
  net?: NetErrorContext;
}

/** The socket address a failed socket operation was about, for node:net-shaped messages. */
export interface NetErrorContext {
  /** null as node:net's own where a cluster worker's listen without a host fails: `bind EADDRINUSE null:8080`. */
  address?: string | null;
  port?: number;
  /** `listen EADDRINUSE: address already in use :::8080` rather than `connect ECONNREFUSED 127.0.0.1:1`. */
  describe?: boolean;
  /** The local end a connect was bound to (its localAddress and localPort options): ` - Local (127.0.0.1:5000)`, as node:net. */
  local?: { address: string; port: number };
}

/**
 * A Node-shaped error for `errno` (negative, as native calls return it) from `syscall`.
 * `path`/`dest` appear in the message and as properties when given.
 */
export function uringError(errno: number, syscall: string, context?: ErrorContext): SystemError {
  if (context?.net) return netError(errno, syscall, context.net);
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

/**
 * Whether `errno` (negative, as native calls return it and system errors carry it) says the
 * process (EMFILE) or the system (ENFILE) is out of file descriptors.
 */
export function outOfDescriptors(errno: number | undefined): boolean {
  return errno === -Errno.EMFILE || errno === -Errno.ENFILE;
}

/** Whether `error` is the system error `errno` (a positive Errno value), as uringError makes it. */
export function hasErrno(error: unknown, errno: number): boolean {
  return (error as { errno?: number } | null | undefined)?.errno === -errno;
}

/** Returns `result` when it is not negative, else throws `uringError(result, syscall)`. */
export function check(result: number, syscall: string, context?: ErrorContext): number {
  if (result < 0) throw uringError(result, syscall, context);
  return result;
}

/** `1_000_000_000` as Node's addNumericalSeparator writes large numbers in messages. */
function separated(digits: string): string {
  const sign = digits.startsWith('-') ? '-' : '';
  let rest = sign ? digits.slice(1) : digits;
  let out = '';
  while (rest.length > 3) {
    out = `_${rest.slice(-3)}${out}`;
    rest = rest.slice(0, -3);
  }
  return `${sign}${rest}${out}`;
}

/** How Node's ERR_OUT_OF_RANGE shows the received value: large integers with separators, bigints with `n`. */
function rangeReceived(value: unknown): string {
  if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) > 2 ** 32) return separated(String(value));
  if (typeof value === 'bigint') {
    const digits = String(value);
    return `${value > 2n ** 32n || value < -(2n ** 32n) ? separated(digits) : digits}n`;
  }
  return inspect(value);
}

/** How Node's ERR_INVALID_ARG_TYPE describes the received value (`determineSpecificType`). */
export function describeReceived(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'bigint':
      return `type bigint (${value}n)`;
    case 'number':
      return `type number (${Object.is(value, -0) ? '-0' : String(value)})`;
    case 'boolean':
      return `type boolean (${value})`;
    case 'symbol':
      return `type symbol (${String(value)})`;
    case 'function':
      return `function ${value.name}`;
    case 'string': {
      const shown = value.length > 28 ? `${value.slice(0, 25)}...` : value;
      return shown.includes("'") ? `type string (${JSON.stringify(shown)})` : `type string ('${shown}')`;
    }
    default: {
      const ctor = (value as { constructor?: { name?: string } }).constructor;
      if (ctor && typeof ctor.name === 'string' && ctor.name !== '') return `an instance of ${ctor.name}`;
      return inspect(value, { depth: -1 });
    }
  }
}

type CodedError<E> = E & { code: string };

function coded<E extends Error>(error: E, code: string): CodedError<E> {
  const e = error as CodedError<E>;
  e.code = code;
  return e;
}

/** Node's `ERR_OUT_OF_RANGE` RangeError, as lib/internal/errors.js words it. */
export function outOfRange(name: string, range: string, received: unknown): CodedError<RangeError> {
  return coded(new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${rangeReceived(received)}`), 'ERR_OUT_OF_RANGE');
}

/**
 * Node's `ERR_INVALID_ARG_TYPE` TypeError. `expected` is the phrase after "must be", e.g.
 * `of type number` or `an instance of Buffer, TypedArray, or DataView`.
 */
export function invalidArgType(name: string, expected: string, received: unknown): CodedError<TypeError> {
  const what = name.includes('.') ? 'property' : 'argument';
  return coded(new TypeError(`The "${name}" ${what} must be ${expected}. Received ${describeReceived(received)}`), 'ERR_INVALID_ARG_TYPE');
}

/** Node's `ERR_INVALID_ARG_VALUE` TypeError: `The argument 'name' is invalid. Received 'x'`. */
export function invalidArgValue(name: string, value: unknown, reason = 'is invalid'): CodedError<TypeError> {
  let shown = inspect(value);
  if (shown.length > 128) shown = `${shown.slice(0, 128)}...`;
  const what = name.includes('.') ? 'property' : 'argument';
  return coded(new TypeError(`The ${what} '${name}' ${reason}. Received ${shown}`), 'ERR_INVALID_ARG_VALUE');
}

/** Node's validateInteger: a number, an integer, within [min, max]. */
export function validateInteger(value: unknown, name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): asserts value is number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
}

/**
 * A socket error shaped like node:net's. `connect ECONNREFUSED 127.0.0.1:1` (Node's
 * exceptionWithHostPort) by default; with `describe`, `listen EADDRINUSE: address already in use
 * :::8080` (uvExceptionWithHostPort). `address`/`port` appear as properties when given, and
 * `localAddress`/`localPort` with `local`.
 */
export function netError(errno: number, syscall: string, context: NetErrorContext = {}): SystemError & { address?: string | null; port?: number; localAddress?: string; localPort?: number } {
  const [code, description] = errnoName(errno);
  const { address, port, local } = context;
  let details = '';
  if (port !== undefined && port > 0 && address !== undefined) details = ` ${address}:${port}`;
  else if (address) details = ` ${address}`;
  if (local) details += ` - Local (${local.address}:${local.port})`;
  const message = context.describe ? `${syscall} ${code}: ${description}${details}` : `${syscall} ${code}${details}`;
  const error = new Error(message) as SystemError & { address?: string | null; port?: number; localAddress?: string; localPort?: number };
  error.errno = errno;
  error.code = code;
  error.syscall = syscall;
  if (address !== undefined) error.address = address;
  if (port !== undefined && port > 0) error.port = port;
  if (local) {
    error.localAddress = local.address;
    error.localPort = local.port;
  }
  return error;
}
