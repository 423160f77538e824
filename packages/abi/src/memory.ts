import { native } from './binding.js';
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
