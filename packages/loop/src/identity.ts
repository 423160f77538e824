/**
 * The identity guard. A ring keeps the credentials of the process that created it: after
 * `process.setuid()` an operation on an old ring still runs as the old user (CVE-2024-22017,
 * why libuv disabled io_uring). The loop snapshots the credentials with its ring and compares them
 * before every submission: four cheap getters per kernel entry, not per operation. Supplementary
 * groups are tracked through Node's setgroups/initgroups, which this module wraps to bump an epoch.
 */
let groupsEpoch = 0;
let wrapped = false;

function wrapGroupSetters(): void {
  if (wrapped) return;
  wrapped = true;
  for (const name of ['setgroups', 'initgroups'] as const) {
    const original = (process as unknown as Record<string, unknown>)[name] as ((...args: never[]) => void) | undefined;
    if (typeof original !== 'function') continue;
    Object.defineProperty(process, name, {
      configurable: true,
      writable: true,
      value: function (this: unknown, ...args: never[]) {
        groupsEpoch++;
        return original.apply(this, args);
      },
    });
  }
}

export class Credentials {
  readonly uid: number;
  readonly gid: number;
  readonly euid: number;
  readonly egid: number;
  readonly epoch: number;

  private constructor() {
    this.uid = process.getuid?.() ?? -1;
    this.gid = process.getgid?.() ?? -1;
    this.euid = process.geteuid?.() ?? -1;
    this.egid = process.getegid?.() ?? -1;
    this.epoch = groupsEpoch;
  }

  static current(): Credentials {
    wrapGroupSetters();
    return new Credentials();
  }

  /** undefined while the process still has these credentials, else what changed. */
  changed(): string | undefined {
    const now = new Credentials();
    if (now.euid !== this.euid || now.uid !== this.uid) return `uid ${this.uid}/${this.euid} -> ${now.uid}/${now.euid}`;
    if (now.egid !== this.egid || now.gid !== this.gid) return `gid ${this.gid}/${this.egid} -> ${now.gid}/${now.egid}`;
    if (now.epoch !== this.epoch) return 'supplementary groups';
    return undefined;
  }
}
