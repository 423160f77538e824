/**
 * The waiter slot table: a flat array of operation records with a free stack. An operation's
 * user_data is its slot index (low half) and the slot's generation (high half), bumped on every
 * reuse, so a late CQE for a finished operation can never complete the slot's next tenant.
 * Generation 0 is never used: user_data with a zero high half marks the loop's own SQEs.
 */
export class Slots<T> {
  readonly capacity: number;
  readonly generation: Uint32Array;
  readonly records: (T | undefined)[];
  readonly #free: Int32Array;
  #top: number;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.generation = new Uint32Array(capacity);
    this.records = new Array<T | undefined>(capacity).fill(undefined);
    this.#free = new Int32Array(capacity);
    for (let k = 0; k < capacity; k++) this.#free[k] = capacity - 1 - k;
    this.#top = capacity;
  }

  /** Slots in use. */
  get used(): number {
    return this.capacity - this.#top;
  }

  /** Takes a free slot for `record`, or returns -1 when all are in use. */
  acquire(record: T): number {
    if (this.#top === 0) return -1;
    const slot = this.#free[--this.#top]!;
    const next = (this.generation[slot]! + 1) & 0x7fffffff;
    this.generation[slot] = next === 0 ? 1 : next;
    this.records[slot] = record;
    return slot;
  }

  /** The record of `slot` if `generation` is its current one, else undefined (a stale CQE). */
  lookup(slot: number, generation: number): T | undefined {
    if (slot >= this.capacity || this.generation[slot] !== generation) return undefined;
    return this.records[slot];
  }

  /** Returns `slot` to the free stack and drops its record (and everything the record kept alive). */
  release(slot: number): void {
    this.records[slot] = undefined;
    this.#free[this.#top++] = slot;
  }
}
