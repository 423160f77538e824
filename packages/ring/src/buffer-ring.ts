import { RegisterOp, addressOf, allocAligned, layout, outOfRange, setU64 } from '@uring/abi';
import type { IoUring } from './io-uring.js';

/**
 * A provided-buffer ring (IORING_REGISTER_PBUF_RING, 5.19), liburing's `io_uring_buf_ring`:
 * buffers the kernel picks from for ops with IOSQE_BUFFER_SELECT (multishot recv). The app adds
 * buffers at the tail; the kernel consumes from the head and reports the buffer id in each CQE
 * (`CqeBatch.bufferId`). A buffer belongs to the kernel from `advance()` until its CQE arrives.
 */
export class BufferRing {
  readonly ring: IoUring;
  readonly bgid: number;
  readonly entries: number;
  readonly mask: number;
  readonly memory: ArrayBuffer;
  readonly #u32: Uint32Array;
  readonly #u16: Uint16Array;
  /** Our tail: entries added; published by advance(). */
  #tail = 0;
  #registered = true;

  private constructor(ring: IoUring, bgid: number, entries: number, memory: ArrayBuffer) {
    this.ring = ring;
    this.bgid = bgid;
    this.entries = entries;
    this.mask = entries - 1;
    this.memory = memory;
    this.#u32 = new Uint32Array(memory);
    this.#u16 = new Uint16Array(memory);
  }

  /**
   * `io_uring_setup_buf_ring`: allocates page-aligned memory for `entries` (a power of two up to
   * 32768) buffer descriptors and registers it as buffer group `bgid`. `flags`: PBUF_RING_INC (6.12).
   */
  static setup(ring: IoUring, entries: number, bgid: number, flags = 0): BufferRing {
    if (!Number.isInteger(entries) || entries < 1 || entries > 32768 || (entries & (entries - 1)) !== 0)
      throw outOfRange('entries', 'a power of two from 1 to 32768', entries);
    if (!Number.isInteger(bgid) || bgid < 0 || bgid > 0xffff) throw outOfRange('bgid', '>= 0 && <= 65535', bgid);
    const memory = allocAligned(Math.max(entries * layout.Buf.size, 4096));
    const reg = new Uint8Array(layout.BufReg.size);
    const view = new DataView(reg.buffer);
    setU64(view, layout.BufReg.ringAddr, addressOf(memory));
    view.setUint32(layout.BufReg.ringEntries, entries, true);
    view.setUint16(layout.BufReg.bgid, bgid, true);
    view.setUint16(layout.BufReg.flags, flags, true);
    ring.register(RegisterOp.REGISTER_PBUF_RING, reg, 1);
    return new BufferRing(ring, bgid, entries, memory);
  }

  /**
   * `io_uring_buf_ring_add`: writes buffer `bid` (`len` bytes at `addr`) into the slot
   * `offset` places past the tail. Not visible to the kernel until advance().
   */
  add(addr: number, len: number, bid: number, offset = 0): void {
    const slot = (this.#tail + offset) & this.mask;
    const w = slot << 2; // 16-byte entries = 4 words
    this.#u32[w] = addr >>> 0;
    this.#u32[w + 1] = Math.floor(addr / 0x1_0000_0000) >>> 0;
    this.#u32[w + 2] = len;
    this.#u16[(slot << 3) + 6] = bid; // offset 12; offset 14 of entry 0 is the shared tail
  }

  /** `io_uring_buf_ring_advance`: publishes `count` added buffers (one release store of the tail). */
  advance(count: number): void {
    this.#tail = (this.#tail + count) & 0xffff;
    Atomics.store(this.#u16, layout.Buf.ringTail >> 1, this.#tail);
  }

  /**
   * `io_uring_buf_ring_head` (liburing 2.6): the kernel's head — the ring slot of the next buffer
   * it will pick — through IORING_REGISTER_PBUF_STATUS (6.8; EINVAL before). A 16-bit counter, as
   * the tail.
   */
  head(): number {
    const status = new Uint32Array(layout.BufStatus.size / 4);
    status[layout.BufStatus.bufGroup / 4] = this.bgid;
    this.ring.register(RegisterOp.REGISTER_PBUF_STATUS, status, 1);
    return status[layout.BufStatus.head / 4]! & 0xffff;
  }

  /** How many published buffers the kernel has not picked yet: the tail less the kernel's head (see head(): 6.8). */
  available(): number {
    return (this.#tail - this.head()) & 0xffff;
  }

  /** `io_uring_unregister_buf_ring`; idempotent. The memory stays valid until collected. */
  unregister(): void {
    if (!this.#registered || this.ring.closed) return;
    this.#registered = false;
    const reg = new Uint8Array(layout.BufReg.size);
    new DataView(reg.buffer).setUint16(layout.BufReg.bgid, this.bgid, true);
    this.ring.register(RegisterOp.UNREGISTER_PBUF_RING, reg, 1);
  }
}
