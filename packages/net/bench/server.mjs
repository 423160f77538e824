// An echo server for the benchmark, in its own process: `node server.mjs uring|node`. Reports its
// port, and its CPU time (process.cpuUsage) whenever the parent asks over IPC.
import * as nodeNet from 'node:net';
import uringNet from '@uring/net';

const impl = process.argv[2] === 'uring' ? uringNet : nodeNet;
const server = impl.createServer((socket) => socket.on('data', (chunk) => socket.write(chunk)));
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', (m) => {
  if (m === 'cpu') process.send({ cpu: process.cpuUsage() });
  if (m === 'exit') process.exit(0);
});
