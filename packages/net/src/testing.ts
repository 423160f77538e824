import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as nodeNet from 'node:net';

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
