import { FILE_INDEX_ALLOC, Op, SqeFlag } from '@uring/abi';
import { describe, expect, it } from 'vitest';
import { Sqes } from './sqe.js';

/** Decodes SQE `i` field by field, to compare whole SQEs as Zig's IoUring tests do. */
function decode(sqes: Sqes, i: number) {
  const v = new DataView(sqes.u8.buffer, i * 64, 64);
  return {
    opcode: v.getUint8(0), flags: v.getUint8(1), ioprio: v.getUint16(2, true), fd: v.getInt32(4, true),
    off: v.getBigUint64(8, true), addr: v.getBigUint64(16, true), len: v.getUint32(24, true),
    opFlags: v.getUint32(28, true), userData: v.getBigUint64(32, true), bufIndex: v.getUint16(40, true),
    personality: v.getUint16(42, true), spliceFdIn: v.getInt32(44, true), addr3: v.getBigUint64(48, true),
    pad: v.getBigUint64(56, true),
  };
}

const blank = { flags: 0, ioprio: 0, opFlags: 0, userData: 0n, bufIndex: 0, personality: 0, spliceFdIn: 0, addr3: 0n, pad: 0n };

describe('Sqes prep helpers', () => {
  const sqes = new Sqes(new ArrayBuffer(64 * 4));

  it('prepRw writes every field and clears what a previous use left', () => {
    new Uint8Array(sqes.u8.buffer).fill(0xff);
    sqes.prepRead(1, 7, 0x1_2345_6789, 4096, 2 ** 40);
    expect(decode(sqes, 1)).toEqual({ ...blank, opcode: Op.READ, fd: 7, off: 2n ** 40n, addr: 0x1_2345_6789n, len: 4096 });
  });

  it('encodes offset -1 as all ones (current file position)', () => {
    sqes.prepWrite(0, 3, 16, 1, -1);
    expect(decode(sqes, 0).off).toBe(2n ** 64n - 1n);
  });

  it('sets user_data from two halves and flags/ioprio without touching the rest', () => {
    sqes.prepNop(2);
    sqes.setUserData(2, 0xdeadbeef, 0x12345);
    sqes.link(2);
    sqes.skipSuccess(2);
    expect(decode(sqes, 2)).toEqual({ ...blank, opcode: Op.NOP, fd: -1, flags: SqeFlag.IO_LINK | SqeFlag.CQE_SKIP_SUCCESS, userData: 0x12345_deadbeefn, off: 0n, addr: 0n, len: 0 });
    expect(sqes.getUserData(2)).toBe(0x12345 * 2 ** 32 + 0xdeadbeef);
  });

  it('places the fields of ops with unusual layouts like liburing', () => {
    sqes.prepFallocate(0, 5, 1, 100, 4096);
    expect(decode(sqes, 0)).toMatchObject({ opcode: Op.FALLOCATE, fd: 5, len: 1, off: 100n, addr: 4096n });
    sqes.prepSplice(0, 8, -1, 9, 10, 64, 0);
    expect(decode(sqes, 0)).toMatchObject({ opcode: Op.SPLICE, fd: 9, spliceFdIn: 8, addr: 2n ** 64n - 1n, off: 10n, len: 64 });
    sqes.prepOpenatDirect(0, -100, 0x1000, 0o100, 0o644, 3);
    expect(decode(sqes, 0)).toMatchObject({ opcode: Op.OPENAT, fd: -100, addr: 0x1000n, len: 0o644, opFlags: 0o100, spliceFdIn: 4 });
    sqes.prepMultishotAcceptDirect(0, 4, 0, 0);
    expect(decode(sqes, 0)).toMatchObject({ opcode: Op.ACCEPT, ioprio: 1, spliceFdIn: FILE_INDEX_ALLOC | 0 });
    sqes.prepRecvMultishot(0, 6, 0, 0);
    sqes.bufferSelect(0, 9);
    expect(decode(sqes, 0)).toMatchObject({ opcode: Op.RECV, ioprio: 2, flags: SqeFlag.BUFFER_SELECT, bufIndex: 9 });
    sqes.setRecvLimit(0, 65536);
    expect(decode(sqes, 0)).toMatchObject({ opcode: Op.RECV, ioprio: 2, bufIndex: 9, spliceFdIn: 65536 });
    sqes.prepSocket(0, 2, 1, 6);
    expect(decode(sqes, 0)).toMatchObject({ opcode: Op.SOCKET, fd: 2, off: 1n, len: 6 });
    sqes.prepMsgRing(0, 11, 42, 7, 1);
    expect(decode(sqes, 0)).toMatchObject({ opcode: Op.MSG_RING, fd: 11, len: 42, off: 2n ** 32n + 7n });
    sqes.prepCancel(0, 5, 6, 0);
    expect(decode(sqes, 0)).toMatchObject({ opcode: Op.ASYNC_CANCEL, addr: 6n * 2n ** 32n + 5n });
  });
});
