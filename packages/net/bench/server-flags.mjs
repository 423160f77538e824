import uringNet from '@uring/net';
import { getLoop } from '@uring/loop';
getLoop({ flags: Number(process.env.FLAGS) });
const server = uringNet.createServer((socket) => socket.on('data', (chunk) => socket.write(chunk)));
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', (m) => {
  if (m === 'cpu') process.send({ cpu: process.cpuUsage() });
  if (m === 'exit') process.exit(0);
});
