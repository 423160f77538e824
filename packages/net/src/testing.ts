import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import * as nodeNet from 'node:net';
import { Linux, getsockopt } from '@uring/abi';
import { sockName } from './socket-ops.js';

/**
 * For tests: a listener on 127.0.0.1 that never answers a connect — python3, so that nobody
 * accepts, with a backlog of 0: once one connection (ours) sits in its accept queue, the kernel
 * drops further SYNs and a connect waits for its SYN retries. `stop()` ends it.
 */
export async function silentListener(): Promise<{ port: number; stop: () => Promise<void> }> {
  const { LD_PRELOAD: _sanitizer, ...env } = process.env; // python3 must not load the sanitizer run's libasan
  const python = spawn('python3', ['-c', 'import socket,sys\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\nsys.stdin.read()'], { stdio: ['pipe', 'pipe', 'inherit'], env });
  const [line] = await once(python.stdout!, 'data');
  const port = Number(String(line).trim());
  const filler = nodeNet.connect(port, '127.0.0.1');
  await once(filler, 'connect');
  const stop = async () => {
    filler.destroy();
    python.stdin!.end();
    await once(python, 'exit');
  };
  return { port, stop };
}

/**
 * For tests: TCP_NODELAY and the keep-alive options of the TCP socket of this process whose ends
 * are `local` and `remote` (ports on 127.0.0.1), found among /proc/self/fd — a node:net socket's
 * or ours alike.
 */
export function tcpOptions(localPort: number, remotePort: number): Record<string, number> {
  for (const name of readdirSync('/proc/self/fd')) {
    const fd = Number(name);
    const local = sockName(fd, false);
    const remote = sockName(fd, true);
    if (local?.family !== 'IPv4' || remote?.family !== 'IPv4' || local.port !== localPort || remote.port !== remotePort) continue;
    const read = (level: number, option: number) => {
      const out = Buffer.alloc(4);
      return getsockopt(fd, level, option, out) < 0 ? -1 : out.readInt32LE(0);
    };
    return {
      noDelay: read(Linux.IPPROTO_TCP, Linux.TCP_NODELAY),
      keepAlive: read(Linux.SOL_SOCKET, Linux.SO_KEEPALIVE),
      idle: read(Linux.IPPROTO_TCP, Linux.TCP_KEEPIDLE),
      interval: read(Linux.IPPROTO_TCP, Linux.TCP_KEEPINTVL),
      count: read(Linux.IPPROTO_TCP, Linux.TCP_KEEPCNT),
    };
  }
  throw new Error(`no socket 127.0.0.1:${localPort} -> 127.0.0.1:${remotePort} in this process`);
}
