import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { native } from './binding.js';
import { errnoName } from './errors.js';
import { Params } from './layout.js';

/** Why io_uring cannot be used here, when it cannot. */
export type UnsupportedReason =
  | 'disabled-by-env' // URING_DISABLE=1
  | 'not-linux'
  | 'addon' // the native addon did not load
  | 'enosys' // the kernel has no io_uring (before 5.1, or compiled out)
  | 'sysctl' // kernel.io_uring_disabled
  | 'seccomp' // io_uring_setup denied by a seccomp filter (Docker's default profile)
  | 'eperm' // denied for another reason
  | 'enomem' // ring memory (RLIMIT_MEMLOCK before 5.11, or the system)
  | 'other';

/** What `support()` found: whether io_uring can be used here, and if not, why and what to do. */
export interface SupportReport {
  /** True when a ring can be created here. */
  supported: boolean;
  /** Set when `supported` is false. */
  reason?: UnsupportedReason;
  /** A sentence for people: what is wrong and what to do about it. */
  message: string;
  /** The errno code from io_uring_setup(2), when it failed (`'EPERM'`, `'ENOSYS'`, ...). */
  code?: string;
  /** `os.release()`. */
  kernel: string;
  /** `/proc/sys/kernel/io_uring_disabled` (0, 1 or 2), when the file exists (6.6+). */
  ioUringDisabled?: number;
  /** The IORING_FEAT_* bits of a test ring, when one could be made. */
  features?: number;
}

function readNumber(file: string): number | undefined {
  try {
    const n = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isNaN(n) ? undefined : n;
  } catch {
    return undefined; // absent on kernels before 6.6 or outside Linux
  }
}

function seccompMode(): number | undefined {
  try {
    const m = /^Seccomp:\s*(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function probe(): SupportReport {
  const kernel = release();
  if (process.env.URING_DISABLE === '1') {
    return { supported: false, reason: 'disabled-by-env', kernel, message: 'io_uring is disabled by URING_DISABLE=1.' };
  }
  if (process.platform !== 'linux') {
    return { supported: false, reason: 'not-linux', kernel, message: `io_uring exists only on Linux; this is ${process.platform}.` };
  }
  let binding;
  try {
    binding = native();
  } catch (error) {
    return { supported: false, reason: 'addon', kernel, message: (error as Error).message };
  }
  const ioUringDisabled = readNumber('/proc/sys/kernel/io_uring_disabled');
  const params = new Uint8Array(Params.size);
  const fd = binding.setup(2, params);
  if (fd >= 0) {
    binding.close(fd);
    const features = new DataView(params.buffer).getUint32(Params.features, true);
    return { supported: true, kernel, ioUringDisabled, features, message: `io_uring is available (Linux ${kernel}).` };
  }
  const [code] = errnoName(fd);
  const base = { supported: false, kernel, ioUringDisabled, code } as const;
  switch (code) {
    case 'ENOSYS':
      return { ...base, reason: 'enosys', message: `This kernel (Linux ${kernel}) has no io_uring (ENOSYS): it needs Linux 5.1 or later built with CONFIG_IO_URING.` };
    case 'EPERM':
    case 'EACCES':
      if (ioUringDisabled === 2)
        return { ...base, reason: 'sysctl', message: 'io_uring is disabled for all processes by the sysctl kernel.io_uring_disabled=2; set it to 0 to use it.' };
      if (ioUringDisabled === 1)
        return { ...base, reason: 'sysctl', message: 'io_uring is restricted by kernel.io_uring_disabled=1 to members of the group in kernel.io_uring_group; this process is not one.' };
      if ((seccompMode() ?? 0) !== 0)
        return { ...base, reason: 'seccomp', message: `io_uring_setup was denied (${code}) by this process's seccomp filter, as Docker's default profile does; run with a profile that allows io_uring_setup, io_uring_enter and io_uring_register.` };
      return { ...base, reason: 'eperm', message: `io_uring_setup was denied (${code}).` };
    case 'ENOMEM':
      return { ...base, reason: 'enomem', message: 'io_uring_setup failed with ENOMEM: before Linux 5.11 ring memory counts against RLIMIT_MEMLOCK (raise it with `ulimit -l`), otherwise memory is short.' };
    default:
      return { ...base, reason: 'other', message: `io_uring_setup failed with ${code}.` };
  }
}

let cached: SupportReport | undefined;

/**
 * Whether io_uring can be used by this process, and if not, why — without throwing. The first call
 * creates (and closes) a two-entry ring; the answer is cached for the life of the process.
 * `URING_DISABLE=1` in the environment reports it unsupported.
 */
export function support(options: { refresh?: boolean } = {}): SupportReport {
  if (options.refresh || cached === undefined) cached = probe();
  return cached;
}
