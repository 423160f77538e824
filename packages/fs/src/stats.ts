import { Stats } from 'node:fs';
import { layout } from '@uring/abi';

const STATX_BTIME = 0x800;

/** glibc's makedev, as libuv uses it to turn statx's major/minor into st_dev. */
function makedev(major: number, minor: number): number {
  const low = (((major & 0xfff) << 8) | (minor & 0xff)) >>> 0;
  const middle = ((minor & 0xffffff00) >>> 0) * 0x1000;
  const high = ((major & 0xfffff000) >>> 0) * 0x1_0000_0000;
  return high + middle + low;
}

/** A u64 as a Number (exact below 2^53), read as two u32s: no BigInt per field. */
const u64 = (b: Buffer, at: number) => b.readUInt32LE(at + 4) * 0x1_0000_0000 + b.readUInt32LE(at);
/** Milliseconds as Node computes them: sec * 1e3 + nsec / 1e6 (tv_sec is an i64). */
const ms = (b: Buffer, at: number) => (b.readInt32LE(at + 4) * 0x1_0000_0000 + b.readUInt32LE(at)) * 1e3 + b.readUInt32LE(at + 8) / 1e6;

/**
 * An `fs.Stats` (so `instanceof fs.Stats` and its methods work) from a `struct statx` at `at` in
 * `b`, with every field computed as libuv and Node compute it from the same statx call.
 */
export function statsFromStatx(b: Buffer, at = 0): Stats {
  const S = layout.Statx;
  const mask = b.readUInt32LE(at + S.mask);
  const StatsCtor = Stats as unknown as new (...fields: number[]) => Stats;
  return new StatsCtor(
    makedev(b.readUInt32LE(at + S.devMajor), b.readUInt32LE(at + S.devMinor)),
    b.readUInt16LE(at + S.mode),
    b.readUInt32LE(at + S.nlink),
    b.readUInt32LE(at + S.uid),
    b.readUInt32LE(at + S.gid),
    makedev(b.readUInt32LE(at + S.rdevMajor), b.readUInt32LE(at + S.rdevMinor)),
    b.readUInt32LE(at + S.blksize),
    u64(b, at + S.ino),
    u64(b, at + S.size_),
    u64(b, at + S.blocks),
    ms(b, at + S.atime),
    ms(b, at + S.mtime),
    ms(b, at + S.ctime),
    mask & STATX_BTIME ? ms(b, at + S.btime) : 0,
  );
}
