import { describe, expect, it } from 'vitest';
import * as layout from './layout.js';
import { getU64, setU64 } from './layout.js';

// Sizes and offsets from include/uapi/linux/io_uring.h, pinned as Zig's IoUring tests do.
describe('struct layouts', () => {
  it('pins the sizes of the kernel structs', () => {
    expect(layout.Sqe.size).toBe(64);
    expect(layout.Cqe.size).toBe(16);
    expect(layout.Params.size).toBe(120);
    expect(layout.SqRingOffsets.size).toBe(40);
    expect(layout.CqRingOffsets.size).toBe(40);
    expect(layout.Params.sqOff + layout.SqRingOffsets.size).toBe(layout.Params.cqOff);
    expect(layout.Params.cqOff + layout.CqRingOffsets.size).toBe(layout.Params.size);
    expect(layout.Probe.size).toBe(16);
    expect(layout.Probe.opSize).toBe(8);
    expect(layout.RsrcRegister.size).toBe(32);
    expect(layout.RsrcUpdate.size).toBe(16);
    expect(layout.BufReg.size).toBe(40);
    expect(layout.BufStatus.size).toBe(40);
    expect(layout.Buf.size).toBe(16);
    expect(layout.GeteventsArg.size).toBe(24);
    expect(layout.Timespec.size).toBe(16);
    expect(layout.Iovec.size).toBe(16);
    expect(layout.OpenHow.size).toBe(24);
    expect(layout.Msghdr.size).toBe(56);
    expect(layout.Statx.size).toBe(256);
    expect(layout.SockaddrIn.size).toBe(16);
    expect(layout.SockaddrIn6.size).toBe(28);
    expect(layout.SockaddrUn.size).toBe(110);
  });

  it('pins the SQE field offsets', () => {
    expect(layout.Sqe).toMatchObject({
      opcode: 0, flags: 1, ioprio: 2, fd: 4, off: 8, addr: 16, len: 24, opFlags: 28,
      userData: 32, bufIndex: 40, personality: 42, spliceFdIn: 44, addr3: 48,
    });
    expect(layout.Statx).toMatchObject({ mode: 28, ino: 32, size_: 40, atime: 64, mtime: 112, devMajor: 136 });
  });

  it('round-trips u64 values through two halves, -1 as all ones', () => {
    const view = new DataView(new ArrayBuffer(8));
    for (const value of [0, 1, 0xffffffff, 0x1_0000_0000, 2 ** 53 - 1]) {
      setU64(view, 0, value);
      expect(getU64(view, 0)).toBe(value);
    }
    setU64(view, 0, -1);
    expect(view.getBigUint64(0, true)).toBe(2n ** 64n - 1n);
  });
});
