/**
 * The waiter slot table: a flat array of operation records with a free stack. An operation's
 * user_data is its slot index (low half) and the slot's generation (high half), bumped on every
 * reuse, so a late CQE for a finished operation can never complete the slot's next tenant.
 * Generation 0 is never used: user_data with a zero high half marks the loop's own SQEs.
 */
/** The most slots a table has: a slot index shifted left by the loop's two tag bits must fit 32 bits. */
export const MAX_SLOTS = 1 << 30;

export class Slots<T> {
  /** Slots there are now; the table doubles when every one is in use (up to MAX_SLOTS). */
  capacity: number;
  generation: Uint32Array;
  readonly records: (T | undefined)[];
  #free: Int32Array;
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

  /** Takes a free slot for `record` — the table grows when none is free; -1 only past MAX_SLOTS. */
  acquire(record: T): number {
    if (this.#top === 0 && !this.#grow()) return -1;
    const slot = this.#free[--this.#top]!;
    const next = (this.generation[slot]! + 1) & 0x7fffffff;
    this.generation[slot] = next === 0 ? 1 : next;
    this.records[slot] = record;
    return slot;
  }

  /** Doubles the table; the new slots are free, lowest first. False at MAX_SLOTS. */
  #grow(): boolean {
    const old = this.capacity;
    const capacity = Math.min(old * 2, MAX_SLOTS);
    if (capacity === old) return false;
    const generation = new Uint32Array(capacity);
    generation.set(this.generation);
    this.generation = generation;
    this.records.length = capacity;
    this.records.fill(undefined, old);
    this.#free = new Int32Array(capacity);
    for (let k = 0; k < capacity - old; k++) this.#free[k] = capacity - 1 - k;
    this.#top = capacity - old;
    this.capacity = capacity;
    return true;
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
