import { constants } from 'node:fs';
import { invalidArgValue, validateInteger } from '@uring/abi';

const { O_RDONLY, O_RDWR, O_WRONLY, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_SYNC } = constants;

const table: Record<string, number> = {
  r: O_RDONLY,
  rs: O_RDONLY | O_SYNC,
  sr: O_RDONLY | O_SYNC,
  'r+': O_RDWR,
  'rs+': O_RDWR | O_SYNC,
  'sr+': O_RDWR | O_SYNC,
  w: O_TRUNC | O_CREAT | O_WRONLY,
  wx: O_TRUNC | O_CREAT | O_WRONLY | O_EXCL,
  xw: O_TRUNC | O_CREAT | O_WRONLY | O_EXCL,
  'w+': O_TRUNC | O_CREAT | O_RDWR,
  'wx+': O_TRUNC | O_CREAT | O_RDWR | O_EXCL,
  'xw+': O_TRUNC | O_CREAT | O_RDWR | O_EXCL,
  a: O_APPEND | O_CREAT | O_WRONLY,
  ax: O_APPEND | O_CREAT | O_WRONLY | O_EXCL,
  xa: O_APPEND | O_CREAT | O_WRONLY | O_EXCL,
  as: O_APPEND | O_CREAT | O_WRONLY | O_SYNC,
  sa: O_APPEND | O_CREAT | O_WRONLY | O_SYNC,
  'a+': O_APPEND | O_CREAT | O_RDWR,
  'ax+': O_APPEND | O_CREAT | O_RDWR | O_EXCL,
  'xa+': O_APPEND | O_CREAT | O_RDWR | O_EXCL,
  'as+': O_APPEND | O_CREAT | O_RDWR | O_SYNC,
  'sa+': O_APPEND | O_CREAT | O_RDWR | O_SYNC,
};

/** Node's `stringToFlags` (lib/internal/fs/utils.js): 'r', 'w+', 'ax', ... or a number, an int32 (ERR_OUT_OF_RANGE otherwise). */
export function stringToFlags(flags: unknown, name = 'flags'): number {
  if (typeof flags === 'number') {
    validateInteger(flags, name, -2147483648, 2147483647); // Node's validateInt32
    return flags;
  }
  if (flags == null) return O_RDONLY;
  const value = typeof flags === 'string' ? table[flags] : undefined;
  if (value === undefined) throw invalidArgValue(name, flags);
  return value;
}

/** Node's `parseFileMode`: a uint32, or an octal string; `def` when undefined. */
export function parseFileMode(value: unknown, name: string, def?: number): number {
  let mode = value ?? def;
  if (typeof mode === 'string') {
    if (!/^[0-7]+$/.test(mode)) throw invalidArgValue(name, value, 'must be a 32-bit unsigned integer or an octal string');
    mode = Number.parseInt(mode, 8);
  }
  validateInteger(mode, name, 0, 0xffffffff);
  return mode;
}
