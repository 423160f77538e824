import { raiseMallocThresholds } from '@uring/abi';

/**
 * The largest block whose free still raises glibc's dynamic malloc thresholds: glibc raises them
 * when it unmaps a block of at most DEFAULT_MMAP_THRESHOLD_MAX (32 MiB on 64-bit; malloc(3),
 * M_MMAP_THRESHOLD), comparing the block's size field with its flag bits in — so a block of
 * exactly 32 MiB (any request over ~32 MiB − 4 KiB, once its header is added and it is rounded up
 * to pages) raises nothing. This request makes a block of 32 MiB − 4 KiB.
 */
const THRESHOLD_BLOCK = 32 * 1024 * 1024 - 8192;

/** From this size on, a file's buffer is one glibc would mmap, or trim from its heap, fresh each time. */
const LARGE = 1024 * 1024;

let raised = false;

/**
 * A buffer for a file's contents, `Buffer.allocUnsafeSlow(size)` as Node's readFile allocates it.
 * The first time one of a megabyte or more is asked for, glibc's thresholds are raised as far as
 * its own dynamic rule goes (mmap above 32 MiB, trim above 64 MiB of free heap), once per thread.
 *
 * Without it, reading large files one after another ran at half Node's speed: V8 frees the
 * buffers of several files at one collection, and freed together at the top of glibc's heap they
 * made a free block over its trim threshold (twice the largest block it had unmapped: 20 MB for
 * 10 MB files), which glibc handed back to the kernel (brk, in strace) — so the next reads
 * page-faulted into fresh pages: ~1,700–2,100 faults per 10 MB file, 7.5–8.3 ms per file against
 * Node's 3.7–4.5 (whose loop did not meet it: 6 faults per file). With the thresholds raised: 1.9–2.5 ms and a few faults per file; 3 MB files 0.8
 * against Node's 1.4 ms, 30 MB 5.5–7.3 against 9.1–9.5 (scratch, 2026-12-07).
 * The cost is what glibc's own rule would come to after the program freed one 32 MiB buffer: up
 * to 64 MiB of freed heap kept for reuse. Where the C library is not glibc, or the program set a
 * threshold itself, nothing changes (raiseMallocThresholds).
 */
export function fileBuffer(size: number): Buffer {
  if (size >= LARGE && !raised) {
    raised = true;
    try {
      raiseMallocThresholds(THRESHOLD_BLOCK);
    } catch {
      // malloc could not give the 32 MiB block (ENOMEM): the thresholds stay as they are, which
      // costs page faults, not correctness; the file's own allocation below reports a real shortage.
    }
  }
  return Buffer.allocUnsafeSlow(size);
}
