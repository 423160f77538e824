import { BufferRing, prepRecvLimitProbe, takesRecvLimit } from '@uring/ring';
import { addressOf, outOfDescriptors, raiseMallocThresholds } from '@uring/abi';
import type { Loop } from '@uring/loop';

/**
 * The buffer group id sockets receive into (one group per loop). Where it is taken — a second
 * copy of @uring/net in the process, or another user of the loop's ring — the next free id is used.
 */
export const RECV_BGID = 0x4e54; // 'NT'
/** How many ids past RECV_BGID are tried. */
const BGID_TRIES = 64;
/** Buffers in the group, and the size of each (a bulk receive fills one per CQE): 4 MiB per thread that has sockets. */
const ENTRIES = 64;
const SIZE = 64 * 1024;
/** glibc then keeps up to twice this of freed heap rather than trimming it (see RecvPool). */
const MALLOC_BLOCK = 4 * 1024 * 1024;

/**
 * The provided-buffer ring (IORING_REGISTER_PBUF_RING, 5.19) that every socket of a loop receives
 * into with multishot recv: the kernel picks a free buffer per receive and names it in the CQE.
 * Each receive is copied into a Buffer of its own length (with onread, into the caller's buffer)
 * and its ring buffer given back at once, so the kernel only ever writes into the same 64
 * buffers, mapped and warm, and a chunk the stream holds never pins a 64 KiB buffer. Handing
 * large receives to the stream as they are, with a fresh buffer taking their place in the ring,
 * cost more here: the kernel's copy into each fresh buffer page-faulted on memory glibc had just
 * trimmed — a sink used 0.39 ms of CPU per MB that way against 0.35 copying (streaming 64 KiB
 * writes, 2.40 → 2.72 GB/s, 9 alternating reps, 2026-12-06); and with the thresholds below
 * raised, no less than copying (5 alternating sink processes: less user time, as much more
 * system time — the kernel then copies into cold memory). Memory in the ring stays at 64 × 64
 * KiB per thread, whatever the number of sockets.
 *
 * The copies are new Buffers, which glibc's malloc serves from its heap and gets back when they
 * are collected. With its default trim threshold (128 KiB, raised only once the program frees a
 * block that was mmap'd) glibc may hand that memory back to the kernel at every collection and
 * fault it in again for the next receives: a sink process fell into that ~half the time, with
 * 86–104k page faults in 3 s of streaming against 24–32k, and ~1.8x the CPU per MB (scratch, 8
 * processes, 2026-12-06; node:net's sink does it too, 1 process in 4). The pool therefore raises
 * glibc's thresholds as its first free of such a block would (raiseMallocThresholds: trim above
 * 8 MiB): 8 sinks of 8 then stayed at 12–22k faults.
 */
export class RecvPool {
  static #pools = new WeakMap<Loop, RecvPool>();

  /** The loop's pool, registered with its ring on first use. */
  static of(loop: Loop): RecvPool {
    let pool = RecvPool.#pools.get(loop);
    if (!pool) {
      pool = new RecvPool(loop);
      RecvPool.#pools.set(loop, pool);
    }
    return pool;
  }

  readonly bgid: number;
  /**
   * Whether the kernel takes a byte limit on a multishot recv (Sqes.setRecvLimit, 6.17): then a
   * socket's receive takes only what its stream has room for, as node:net's reads stop at the
   * stream's highWaterMark (see Socket's #recvLimit); without it, a stream that does not flow is
   * given one receive at a time. (Tests turn it off to run the older kernels' way here.)
   */
  limits: boolean;
  readonly #ring: BufferRing;
  /** The buffer behind each buffer id, and its address (looked up once, never per receive). */
  readonly #buffers: Buffer[] = [];
  readonly #addresses: number[] = [];

  private constructor(loop: Loop) {
    raiseMallocThresholds(MALLOC_BLOCK);
    this.#ring = RecvPool.#register(loop);
    this.bgid = this.#ring.bgid;
    this.limits = RecvPool.#probeLimits(loop);
    for (let bid = 0; bid < ENTRIES; bid++) {
      this.#buffers[bid] = Buffer.allocUnsafeSlow(SIZE);
      this.#addresses[bid] = addressOf(this.#buffers[bid]);
      this.#ring.add(this.#addresses[bid], SIZE, bid, bid);
    }
    this.#ring.advance(ENTRIES);
  }

  /**
   * Whether the kernel takes setRecvLimit: asked once per process (prepRecvLimitProbe through the
   * loop's runNow), on the ring's own descriptor — not a socket, as the probe wants, and there
   * already (an eventfd opened for it failed the first receive of a process out of descriptors:
   * a socket 'error', EMFILE, where node:net's reads). Where the question cannot be asked —
   * runNow's side ring not made yet, and no descriptor free for it — this pool goes without the
   * limit, as on older kernels, and the next pool asks again.
   */
  static #limits: boolean | undefined;
  static #probeLimits(loop: Loop): boolean {
    if (RecvPool.#limits !== undefined) return RecvPool.#limits;
    let res: number;
    try {
      res = loop.runNow((s, i) => prepRecvLimitProbe(s, i, loop.ring.fd));
    } catch (error) {
      if (outOfDescriptors((error as NodeJS.ErrnoException).errno)) return false;
      throw error;
    }
    RecvPool.#limits = takesRecvLimit(res);
    return RecvPool.#limits;
  }

  /** A buffer ring under the first free group id from RECV_BGID on (IORING_REGISTER_PBUF_RING fails with EEXIST on a taken one). */
  static #register(loop: Loop): BufferRing {
    for (let bgid = RECV_BGID; ; bgid++) {
      try {
        return BufferRing.setup(loop.ring, ENTRIES, bgid);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || bgid === RECV_BGID + BGID_TRIES - 1) throw error;
      }
    }
  }

  /** The `length` bytes received into buffer `bid`, copied out, and the buffer id given back to the kernel. */
  take(bid: number, length: number): Buffer {
    const chunk = Buffer.allocUnsafe(length);
    this.#buffers[bid]!.copy(chunk, 0, 0, length);
    this.release(bid);
    return chunk;
  }

  /**
   * The `length` bytes received into buffer `bid`, in place: valid only until release(bid), which
   * must follow (the kernel writes into the buffer again once it has it back). For a reader that
   * copies them where they go itself (onread's buffer), so they are copied once.
   */
  view(bid: number, length: number): Buffer {
    return this.#buffers[bid]!.subarray(0, length);
  }

  /** How many buffers the kernel can pick now — all ENTRIES whenever no receive holds one (BufferRing.available: 6.8). */
  available(): number {
    return this.#ring.available();
  }

  /** Gives buffer `bid` back to the kernel. */
  release(bid: number): void {
    this.#ring.add(this.#addresses[bid]!, SIZE, bid);
    this.#ring.advance(1);
  }
}
