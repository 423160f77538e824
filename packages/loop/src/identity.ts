/**
 * The identity guard. A ring keeps the credentials of the process that created it: after
 * `process.setuid()` an operation on an old ring still runs as the old user (CVE-2024-22017,
 * why libuv disabled io_uring). The loop snapshots the credentials with its ring and checks them
 * before it submits:
 * - Node's credential setters are wrapped to bump an epoch, so a change through them is seen
 *   before the very next submission at the cost of an integer compare. Any setgroups/initgroups
 *   call counts as a change of groups;
 * - the ids themselves (four getters, ~0.2 µs each) are compared when a set*id epoch moved and on
 *   every 64th submission, which also catches changes made behind Node's back (native code).
 */
const epochs = { ids: 0, groups: 0 };
let wrapped = false;
const FULL_CHECK_EVERY = 64;

function wrapSetters(): void {
  if (wrapped) return;
  wrapped = true;
  const proc = process as unknown as Record<string, unknown>;
  const setters = { setuid: 'ids', seteuid: 'ids', setgid: 'ids', setegid: 'ids', setgroups: 'groups', initgroups: 'groups' } as const;
  for (const [name, kind] of Object.entries(setters)) {
    const original = proc[name] as ((...args: unknown[]) => unknown) | undefined;
    if (typeof original !== 'function') continue;
    Object.defineProperty(process, name, {
      configurable: true,
      writable: true,
      value: function (this: unknown, ...args: unknown[]) {
        try {
          return original.apply(this, args);
        } finally {
          epochs[kind]++;
        }
      },
    });
  }
}

function ids(): [number, number, number, number] {
  return [process.getuid?.() ?? -1, process.geteuid?.() ?? -1, process.getgid?.() ?? -1, process.getegid?.() ?? -1];
}

/** A snapshot of the process credentials a ring was created with (uids, gids, groups), to refuse submissions once they change. */
export class Credentials {
  readonly #ids: [number, number, number, number];
  readonly #groups: number;
  #idsEpoch: number;
  #submissions = 0;

  private constructor() {
    this.#ids = ids();
    this.#idsEpoch = epochs.ids;
    this.#groups = epochs.groups;
  }

  static current(): Credentials {
    wrapSetters();
    return new Credentials();
  }

  /** undefined while the process still has the snapshot's credentials, else what changed. */
  changed(): string | undefined {
    if (epochs.groups !== this.#groups) return 'supplementary groups';
    if (this.#idsEpoch === epochs.ids && ++this.#submissions % FULL_CHECK_EVERY !== 0) return undefined;
    const [uid, euid, gid, egid] = this.#ids;
    const now = ids();
    if (now[0] !== uid || now[1] !== euid) return `uid ${uid}/${euid} -> ${now[0]}/${now[1]}`;
    if (now[2] !== gid || now[3] !== egid) return `gid ${gid}/${egid} -> ${now[2]}/${now[3]}`;
    this.#idsEpoch = epochs.ids; // a setter ran but left the ids as they were
    return undefined;
  }
}
