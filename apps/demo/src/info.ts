import { support } from '@uring/abi';
import { backend as fsBackend } from '@uring/fs';
import { backend as netBackend } from '@uring/net';
import { IoUring } from '@uring/ring';
import { uringUsable } from '@uring/streams';

/** What `uring-demo info` reports. */
export interface Info {
  kernel: string;
  node: string;
  supported: boolean;
  reason?: string;
  message: string;
  ops?: string[];
  /** Which implementation each package serves calls with here. */
  backends: { fs: 'io_uring' | 'node'; net: 'io_uring' | 'node'; streams: 'io_uring' | 'node' };
}

/** What `uring-demo info` reports: the kernel, whether io_uring is usable and why not, probed ops. */
export function info(): Info {
  const report = support();
  const base = { kernel: report.kernel, node: process.version, supported: report.supported, reason: report.reason, message: report.message, backends: { fs: fsBackend(), net: netBackend(), streams: uringUsable() ? ('io_uring' as const) : ('node' as const) } };
  if (!report.supported) return base;
  const ring = IoUring.init(2);
  try {
    return { ...base, ops: ring.probe().supportedOps() };
  } finally {
    ring.close();
  }
}

/** `info()` as the aligned text `uring-demo info` prints. */
export function formatInfo(i: Info): string {
  const lines = [
    `kernel     Linux ${i.kernel}`,
    `node       ${i.node}`,
    `io_uring   ${i.supported ? 'available' : `unavailable (${i.reason})`}`,
    `           ${i.message}`,
  ];
  lines.push(`backends   @uring/fs: ${i.backends.fs}, @uring/net: ${i.backends.net}, @uring/streams: ${i.backends.streams}`);
  if (i.ops) lines.push(`ops        ${i.ops.length} supported: ${i.ops.join(' ')}`);
  return lines.join('\n');
}
