import { Errno, PROBE_OP_SUPPORTED, RegisterOp, layout, opName } from '@uring/abi';
import type { IoUring } from './io-uring.js';
import type { Sqes } from './sqe.js';

const MAX_OPS = 256;

/** The result of IORING_REGISTER_PROBE (5.6): which opcodes this kernel knows. */
export class Probe {
  /** The highest opcode the kernel knows. */
  readonly lastOp: number;
  readonly #supported: Uint8Array;

  private constructor(lastOp: number, supported: Uint8Array) {
    this.lastOp = lastOp;
    this.#supported = supported;
  }

  /** `io_uring_get_probe_ring`. */
  static read(ring: IoUring): Probe {
    const bytes = new Uint8Array(layout.Probe.size + MAX_OPS * layout.Probe.opSize);
    ring.register(RegisterOp.REGISTER_PROBE, bytes, MAX_OPS);
    const view = new DataView(bytes.buffer);
    const opsLen = bytes[layout.Probe.opsLen]!;
    const supported = new Uint8Array(MAX_OPS);
    for (let k = 0; k < opsLen; k++) {
      const at = layout.Probe.ops + k * layout.Probe.opSize;
      if (view.getUint16(at + layout.Probe.opFlags, true) & PROBE_OP_SUPPORTED) supported[bytes[at + layout.Probe.opOp]!] = 1;
    }
    return new Probe(bytes[layout.Probe.lastOp]!, supported);
  }

  /** `io_uring_opcode_supported`. */
  supports(op: number): boolean {
    return op >= 0 && op < MAX_OPS && this.#supported[op] === 1;
  }

  /** Names of the supported opcodes. */
  supportedOps(): string[] {
    const names: string[] = [];
    this.#supported.forEach((s, op) => s && names.push(opName(op)));
    return names;
  }
}

/**
 * Prepares an SQE whose result tells whether the kernel takes a multishot recv's byte limit
 * (Sqes.setRecvLimit, 6.17), which IORING_REGISTER_PROBE cannot say (the opcode is older): a
 * limited multishot recv on `fd`, a descriptor that is not a socket (an eventfd, the ring's own). A kernel with
 * the limit fails it at issue, -ENOTSOCK; one without fails it at prep, -EINVAL (the field was
 * required to be zero). It completes at once either way, so it suits a synchronous submit-and-wait.
 */
export function prepRecvLimitProbe(sqes: Sqes, i: number, fd: number): void {
  sqes.prepRecvMultishot(i, fd, 0, 0);
  sqes.bufferSelect(i, 0);
  sqes.setRecvLimit(i, 1);
}

/** Whether the result of prepRecvLimitProbe's SQE says the kernel takes the limit. */
export const takesRecvLimit = (res: number): boolean => res === -Errno.ENOTSOCK;
