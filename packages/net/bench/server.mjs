// A server for the benchmark, in its own process: `node server.mjs uring|node echo|sink|http`.
// echo: writes back what it reads; sink: reads and counts; http: node:http hello world (over
// @uring/net sockets with `uring`). Reports its port, and its CPU time (process.cpuUsage) whenever
// the parent asks over IPC.
import * as http from 'node:http';
import * as nodeNet from 'node:net';
import uringNet, { createHttpServer } from '@uring/net';

const [kind, mode] = process.argv.slice(2);
const net = kind === 'uring' ? uringNet : nodeNet;
const hello = (req, res) => res.end('hello world');
const server =
  mode === 'http' ? (kind === 'uring' ? createHttpServer(hello) : http.createServer(hello))
  : mode === 'sink' ? net.createServer((socket) => socket.on('data', () => {}))
  : net.createServer((socket) => socket.on('data', (chunk) => socket.write(chunk)));
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', (m) => {
  if (m === 'cpu') process.send({ cpu: process.cpuUsage() });
  if (m === 'exit') process.exit(0);
});
