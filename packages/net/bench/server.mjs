// A server for the benchmark, in its own process: `node server.mjs uring|node echo|sink|http [flags]`.
// echo: writes back what it reads; sink: reads and counts; http: node:http hello world (over
// @uring/net sockets with `uring`). `flags`: the setup flags of the thread's loop (default: the
// loop's own). Reports its port, and its CPU time (process.cpuUsage) and minor page faults whenever
// the parent asks over IPC.
import * as http from 'node:http';
import * as nodeNet from 'node:net';
import { getLoop } from '@uring/loop';
import uringNet, { createHttpServer } from '@uring/net';

const [kind, mode, flags] = process.argv.slice(2);
if (kind === 'uring' && flags !== undefined) getLoop({ flags: Number(flags) });
const net = kind === 'uring' ? uringNet : nodeNet;
const hello = (req, res) => res.end('hello world');
const server =
  mode === 'http' ? (kind === 'uring' ? createHttpServer(hello) : http.createServer(hello))
  : mode === 'sink' ? net.createServer((socket) => socket.on('data', () => {}))
  : net.createServer((socket) => socket.on('data', (chunk) => socket.write(chunk)));
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', (m) => {
  if (m === 'cpu') process.send({ cpu: process.cpuUsage(), faults: process.resourceUsage().minorPageFault });
  if (m === 'exit') process.exit(0);
});
