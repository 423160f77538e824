import { spawn, spawnSync } from 'node:child_process';
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
 * For tests: runs `script` (an ES module) in a node process under a descriptor limit (`ulimit -n
 * nofile`, set by the shell), with the built package's URL as process.argv[1] and `args` after it;
 * its stdout, stderr and exit status.
 */
export function nodeUnderNofile(nofile: number, script: string, args: string[] = []): { stdout: string; stderr: string; status: number | null } {
  const dist = new URL('../dist/index.js', import.meta.url).href;
  return spawnSync('sh', ['-c', `ulimit -n ${nofile} && exec "$@"`, 'sh', process.execPath, '--input-type=module', '-e', script, dist, ...args], { encoding: 'utf8', timeout: 20_000 });
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

/**
 * A self-signed P-256 key and certificate for localhost and 127.0.0.1, valid until 2126, for TLS
 * tests over the sockets (made with openssl req -x509; a test fixture, trusted by nothing).
 */
export const TEST_TLS = {
  key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgitgEux6QMNqGuB+9
Rcnu5SYI3u/ZTPPYBVbiDDJHTlahRANCAASW9SsPbRee+j3OLSzQK78dV6k/mEQp
ZCJenmO7+VTeSpEHXUROm6No0nx3BqasY/Nmkc7wrJv/2RNwbz1hn061
-----END PRIVATE KEY-----
`,
  cert: `-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUJJ6gEG592bYlGRMmNpg+6TZJ/lIwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTIwNjA5MzgzNloYDzIxMjYxMTEy
MDkzODM2WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAASW9SsPbRee+j3OLSzQK78dV6k/mEQpZCJenmO7+VTeSpEHXUROm6No
0nx3BqasY/Nmkc7wrJv/2RNwbz1hn061o28wbTAdBgNVHQ4EFgQU+Pdp/8tarnOu
IQuDnAP/S0zMfqwwHwYDVR0jBBgwFoAU+Pdp/8tarnOuIQuDnAP/S0zMfqwwDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwCgYIKoZI
zj0EAwIDSAAwRQIgElofq673XFZDuYWGyQdUw4Jnth77DlCdpjtK60DEImwCIQCl
8tj0VEBBe7IKhmX+dYdfs3U10ij4d1two8c+e6WoyQ==
-----END CERTIFICATE-----
`,
};
