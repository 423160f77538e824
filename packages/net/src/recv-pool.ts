import { BufferRing } from '@uring/ring';
import { addressOfView, type Loop } from '@uring/loop';

/** The buffer group id sockets receive into (one group per loop; other users pick other ids). */
export const RECV_BGID = 0x4e54; // 'NT'
/** Buffers in the group, and the size of each (a bulk receive fills one per CQE): 4 MiB per thread that has sockets. */
const ENTRIES = 64;
const SIZE = 64 * 1024;

/**
 * The provided-buffer ring (IORING_REGISTER_PBUF_RING, 5.19) that every socket of a loop receives
 * into with multishot recv: the kernel picks a free buffer per receive and names it in the CQE.
 * A buffer goes back to the ring as soon as its bytes have been copied into the Buffer handed to
 * the stream — so memory stays at this one pool whatever the number of sockets, and a buffer is
 * never reused while the data in it is still to be read.
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
  readonly #memory: Buffer;
  readonly #base: number;

  private constructor(loop: Loop) {
    this.#memory = Buffer.allocUnsafeSlow(ENTRIES * SIZE);
    this.#base = addressOfView(this.#memory);
    this.#ring = BufferRing.setup(loop.ring, ENTRIES, RECV_BGID);
    for (let bid = 0; bid < ENTRIES; bid++) this.#ring.add(this.#base + bid * SIZE, SIZE, bid, bid);
    this.#ring.advance(ENTRIES);
  }

  /** What a receive must keep alive while the kernel may write into the pool. */
  get memory(): Buffer {
    return this.#memory;
  }

  /** Copies `length` bytes out of buffer `bid` into a new Buffer and gives the buffer back to the kernel. */
  take(bid: number, length: number): Buffer {
    const start = bid * SIZE;
    const chunk = Buffer.allocUnsafe(length);
    this.#memory.copy(chunk, 0, start, start + length);
    this.#ring.add(this.#base + start, SIZE, bid);
    this.#ring.advance(1);
    return chunk;
  }
}
