import { addressOf, alignedBuffer } from '@uring/abi';

/**
 * `count` cells of `size` bytes in one page-aligned buffer, made on first use, whose address is
 * looked up once: per-thread memory for what operations hand the kernel, without a Buffer or an
 * N-API call per operation. A cell is the caller's from `take()` until `release()`, which must
 * wait until the kernel is done with it (the loop's onRelease).
 */
export class Slab {
  readonly #count: number;
  readonly #size: number;
  #memory: Buffer | undefined;
  #base = 0;
  readonly #free: number[] = [];

  constructor(count: number, size: number) {
    this.#count = count;
    this.#size = size;
  }

  /** A free cell's index, or -1 when all are in use. */
  take(): number {
    if (this.#memory === undefined) {
      this.#memory = alignedBuffer(this.#count * this.#size);
      this.#base = addressOf(this.#memory);
      for (let k = this.#count - 1; k >= 0; k--) this.#free.push(k); // popped lowest first
    }
    return this.#free.pop() ?? -1;
  }

  release(cell: number): void {
    this.#free.push(cell);
  }

  /** The whole slab (valid once a cell was taken). */
  get memory(): Buffer {
    return this.#memory!;
  }

  /** Where `cell` starts: in `memory`, and in the process's address space. */
  offset(cell: number): number {
    return cell * this.#size;
  }
  address(cell: number): number {
    return this.#base + cell * this.#size;
  }

  /** Cells free now (for tests). */
  get available(): number {
    return this.#memory === undefined ? this.#count : this.#free.length;
  }
}
