import { CQE_BUFFER_SHIFT, CqeFlag } from '@uring/abi';

const TWO_32 = 0x1_0000_0000;

/**
 * A batch of CQEs copied out of the CQ ring (`IoUring.copyCqes`), like Zig's `copy_cqes`: copying
 * lets the ring's head be stored once per batch instead of once per CQE, and leaves the entries
 * readable after the kernel reuses their slots. Entry `k` is read through the accessors.
 */
export class CqeBatch {
  /** How many entries the last copy filled. */
  count = 0;
  readonly capacity: number;
  readonly u32: Uint32Array;
  readonly i32: Int32Array;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.u32 = new Uint32Array(capacity * 4);
    this.i32 = new Int32Array(this.u32.buffer);
  }

  userDataLo(k: number): number {
    return this.u32[k << 2]!;
  }

  userDataHi(k: number): number {
    return this.u32[(k << 2) + 1]!;
  }

  /** user_data as a Number (exact below 2^53). */
  userData(k: number): number {
    return this.u32[(k << 2) + 1]! * TWO_32 + this.u32[k << 2]!;
  }

  /** The result: >= 0 on success, -errno on failure. */
  res(k: number): number {
    return this.i32[(k << 2) + 2]!;
  }

  /** IORING_CQE_F_* bits. */
  flags(k: number): number {
    return this.u32[(k << 2) + 3]!;
  }

  /** CqeFlag.MORE: a multishot request is still armed and will post more CQEs. */
  more(k: number): boolean {
    return (this.u32[(k << 2) + 3]! & CqeFlag.MORE) !== 0;
  }

  /** The provided-buffer id, or -1 when the CQE carries none (no CqeFlag.BUFFER). */
  bufferId(k: number): number {
    const flags = this.u32[(k << 2) + 3]!;
    return flags & CqeFlag.BUFFER ? flags >>> CQE_BUFFER_SHIFT : -1;
  }

  /** Entry `k` as a plain object, for tests and logging (allocates). */
  get(k: number): { userData: number; res: number; flags: number } {
    return { userData: this.userData(k), res: this.res(k), flags: this.flags(k) };
  }
}
