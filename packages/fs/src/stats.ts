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

const u64 = (b: Buffer, at: number) => Number(b.readBigUInt64LE(at));
/** Milliseconds as Node computes them: sec * 1e3 + nsec / 1e6. */
const ms = (b: Buffer, at: number) => Number(b.readBigInt64LE(at)) * 1e3 + b.readUInt32LE(at + 8) / 1e6;

/**
 * An `fs.Stats` (so `instanceof fs.Stats` and its methods work) from a `struct statx`, with every
 * field computed as libuv and Node compute it from the same statx call.
 */
export function statsFromStatx(b: Buffer): Stats {
  const S = layout.Statx;
  const mask = b.readUInt32LE(S.mask);
  const StatsCtor = Stats as unknown as new (...fields: number[]) => Stats;
  return new StatsCtor(
    makedev(b.readUInt32LE(S.devMajor), b.readUInt32LE(S.devMinor)),
    b.readUInt16LE(S.mode),
    b.readUInt32LE(S.nlink),
    b.readUInt32LE(S.uid),
    b.readUInt32LE(S.gid),
    makedev(b.readUInt32LE(S.rdevMajor), b.readUInt32LE(S.rdevMinor)),
    b.readUInt32LE(S.blksize),
    u64(b, S.ino),
    u64(b, S.size_),
    u64(b, S.blocks),
    ms(b, S.atime),
    ms(b, S.mtime),
    ms(b, S.ctime),
    mask & STATX_BTIME ? ms(b, S.btime) : 0,
  );
}
