import { native } from './binding.js';
import { Errno } from './constants.js';
import { check, invalidArgType, outOfRange } from './errors.js';

/**
 * The address of the first byte of `view` (its byteOffset included), for SQE `addr` fields.
 * One N-API call (~25–50 ns): look a pool's address up once and add offsets, never per operation.
 * The address is valid only while `view`'s memory is referenced.
 */
export function addressOf(view: ArrayBufferView | ArrayBuffer): number {
  const address = native().addressOf(view);
  if (address < 0) throw invalidArgType('view', 'an instance of ArrayBuffer or ArrayBufferView', view);
  return address;
}

/**
 * `length` bytes of zeroed, page-aligned memory (anonymous mmap), unmapped when the ArrayBuffer is
 * collected. For provided-buffer rings, which must be page-aligned, and for I/O buffers: the kernel
 * copies into a page-aligned buffer several times faster than into one 16 bytes past a page.
 */
export function allocAligned(length: number): ArrayBuffer {
  if (!Number.isSafeInteger(length) || length <= 0) throw outOfRange('length', 'a positive integer', length);
  const result = native().allocAligned(length);
  if (typeof result === 'number') check(result, 'mmap');
  return result as ArrayBuffer;
}

/** `allocAligned` as a Buffer. */
export function alignedBuffer(length: number): Buffer {
  return Buffer.from(allocAligned(length));
}

/**
 * Mallocs and frees one `bytes` block, so that glibc's malloc keeps up to 2 × `bytes` of freed
 * heap instead of handing it back to the kernel (and faulting it in again on the next
 * allocations): freeing a block that was mmap'd raises the mmap threshold to its size and the trim
 * threshold to twice it — glibc's dynamic thresholds (malloc(3), M_MMAP_THRESHOLD), which the
 * first free of such a block in a program sets anyway. Never lowers a threshold, and changes
 * nothing where the program set one itself (mallopt, MALLOC_TRIM_THRESHOLD_, GLIBC_TUNABLES).
 * glibc's rule stops at blocks of 32 MiB (DEFAULT_MMAP_THRESHOLD_MAX on 64-bit), counting the
 * block's header and page rounding: `bytes` of 32 MiB − 8 KiB raises them as far as they go, 32 MiB
 * raises nothing.
 * False where the C library is not glibc (musl), whose free() has no such thresholds.
 */
export function raiseMallocThresholds(bytes: number): boolean {
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw outOfRange('bytes', 'a positive integer', bytes);
  const result = native().releaseBlock(bytes);
  if (result === -Errno.ENOSYS) return false;
  check(result, 'malloc');
  return true;
}
