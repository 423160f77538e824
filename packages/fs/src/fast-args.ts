/**
 * The fast path takes only arguments it understands completely; anything else — a URL, a path
 * with a NUL byte, an unknown option, a value of the wrong type — goes to node:fs/promises, so
 * validation errors are Node's own, in Node's order, by construction.
 */

/** A string or Buffer path without NUL bytes, or undefined. */
export function plainPath(path: unknown): string | Buffer | undefined {
  if (typeof path === 'string') return path.length > 0 && !path.includes('\0') ? path : undefined;
  if (Buffer.isBuffer(path)) return path.length > 0 && !path.includes(0) ? path : undefined;
  return undefined;
}

/** Only these keys, each undefined or accepted by `check`. */
export function plainOptions(options: unknown, checks: Record<string, (v: unknown) => boolean>): options is Record<string, unknown> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) return false;
  if (Object.getPrototypeOf(options) !== Object.prototype && Object.getPrototypeOf(options) !== null) return false;
  for (const [key, value] of Object.entries(options)) {
    const check = checks[key];
    if (!check || (value !== undefined && !check(value))) return false;
  }
  return true;
}

/** Whether `v` is an encoding Buffer knows (or null/undefined: none). */
export const isEncoding = (v: unknown) => v === null || (typeof v === 'string' && Buffer.isEncoding(v));
/** Whether `v` is an AbortSignal (or absent). */
export const isSignal = (v: unknown) => v instanceof AbortSignal;
/** Whether `v` is a file mode the ring path takes: an integer in 0..0o7777, or absent. */
export const isMode = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
