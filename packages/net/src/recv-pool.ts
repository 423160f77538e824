import { BufferRing } from '@uring/ring';
import { addressOf } from '@uring/abi';
import type { Loop } from '@uring/loop';

/** The buffer group id sockets receive into (one group per loop; other users pick other ids). */
export const RECV_BGID = 0x4e54; // 'NT'
/** Buffers in the group, and the size of each (a bulk receive fills one per CQE): 4 MiB per thread that has sockets. */
const ENTRIES = 64;
const SIZE = 64 * 1024;

/** Receives at least this big are handed to the stream as they are, not copied. */
const HANDOFF_MIN = 16 * 1024;

/**
 * The provided-buffer ring (IORING_REGISTER_PBUF_RING, 5.19) that every socket of a loop receives
 * into with multishot recv: the kernel picks a free buffer per receive and names it in the CQE.
 * A buffer goes back to the ring only once its data has been handed off: a small receive is copied
 * into a new Buffer and its ring buffer given back at once; a large one (16 KiB or more) is handed
 * to the stream as it is, and a freshly allocated buffer takes its place in the ring — no copy,
 * and the kernel never writes into memory a consumer still holds. Memory in the ring stays at
 * 64 × 64 KiB per thread, whatever the number of sockets.
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

  readonly bgid = RECV_BGID;
  readonly #ring: BufferRing;
  /** The buffer behind each buffer id now, and its address (looked up once per buffer, never per receive). */
  readonly #buffers: Buffer[] = [];
  readonly #addresses: number[] = [];

  private constructor(loop: Loop) {
    this.#ring = BufferRing.setup(loop.ring, ENTRIES, RECV_BGID);
    for (let bid = 0; bid < ENTRIES; bid++) this.#provide(bid, Buffer.allocUnsafeSlow(SIZE), bid);
    this.#ring.advance(ENTRIES);
  }

  /** Puts `buffer` in the ring as `bid`, `offset` slots past the tail (published by advance()). */
  #provide(bid: number, buffer: Buffer, offset = 0): void {
    this.#buffers[bid] = buffer;
    this.#addresses[bid] = addressOf(buffer);
    this.#ring.add(this.#addresses[bid], SIZE, bid, offset);
  }

  /** The `length` bytes received into buffer `bid`, handed off (copied, or the buffer itself), and the buffer id given back to the kernel. */
  take(bid: number, length: number): Buffer {
    const buffer = this.#buffers[bid]!;
    let chunk: Buffer;
    if (length >= HANDOFF_MIN) {
      chunk = buffer.subarray(0, length);
      this.#provide(bid, Buffer.allocUnsafeSlow(SIZE));
    } else {
      chunk = Buffer.allocUnsafe(length);
      buffer.copy(chunk, 0, 0, length);
      this.#ring.add(this.#addresses[bid]!, SIZE, bid);
    }
    this.#ring.advance(1);
    return chunk;
  }
}
