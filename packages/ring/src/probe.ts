import { PROBE_OP_SUPPORTED, RegisterOp, layout, opName } from '@uring/abi';
import type { IoUring } from './io-uring.js';

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
