/** Counters a loop keeps; cheap to update, readable at any time through `loop.metrics`. */
export class Metrics {
  /** Operations handed to the kernel (SQEs written for them, re-arms included). */
  submitted = 0;
  /** Operations whose final CQE was reaped. */
  completed = 0;
  /** io_uring_enter calls made to submit. */
  enters = 0;
  /** Times the kernel had to hold CQEs back because the CQ was full (none are lost: FEAT_NODROP). */
  cqOverflows = 0;
  /** CQEs whose generation did not match their slot: late completions of finished operations. */
  staleCqes = 0;
  /** CQEs of the loop's own link timeouts and cancel requests. */
  internalCqes = 0;
  /** Multishot operations re-armed after the kernel ended them. */
  rearms = 0;
  /** Batches of CQEs reaped right after the io_uring_enter that completed them inline, without waiting for the eventfd. */
  inlineReaps = 0;
  /** Times the eventfd woke the loop to reap. */
  wakeups = 0;
  /** Wake-ups that found no CQE (all reaped already). Not counted on DEFER_TASKRUN rings, whose CQEs appear only once the reap has run the kernel's deferred work. */
  idleWakeups = 0;
  /** Submissions retried after EBUSY/EAGAIN. */
  busyRetries = 0;
  /** The most operations in flight at once. */
  maxInFlight = 0;

  constructor(
    private readonly live: { inFlight(): number; backlog(): number },
  ) {}

  /** Operations the kernel owns right now (including aborted ones whose CQE has not come yet). */
  get inFlight(): number {
    return this.live.inFlight();
  }

  /** Operations waiting for a free slot (over `maxInFlight`). */
  get backlog(): number {
    return this.live.backlog();
  }

  toJSON() {
    const { submitted, completed, enters, cqOverflows, staleCqes, internalCqes, rearms, inlineReaps, wakeups, idleWakeups, busyRetries, maxInFlight } = this;
    return { inFlight: this.inFlight, backlog: this.backlog, submitted, completed, enters, cqOverflows, staleCqes, internalCqes, rearms, inlineReaps, wakeups, idleWakeups, busyRetries, maxInFlight };
  }
}
