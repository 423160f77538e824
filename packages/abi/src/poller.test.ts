import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, readSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Linux } from './constants.js';
import { EventfdPoller } from './poller.js';
import { eventfd } from './syscalls.js';

const dist = fileURLToPath(new URL('../dist/index.cjs', import.meta.url));
const signal = (fd: number) => writeSync(fd, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]));

function runChild(script: string, timeout = 10_000) {
  return spawnSync(process.execPath, ['-e', `const abi = require(${JSON.stringify(dist)});\n${script}`], {
    encoding: 'utf8',
    timeout,
  });
}

describe('EventfdPoller', () => {
  it('calls back when the eventfd is signalled and resets its counter', async () => {
    const fd = eventfd(0, Linux.EFD_NONBLOCK | Linux.EFD_CLOEXEC);
    const calls: number[] = [];
    const fired = new Promise<void>((resolve) => {
      const poller = new EventfdPoller(fd, (status) => {
        calls.push(status);
        poller.close();
        resolve();
      }).start();
    });
    signal(fd);
    await fired;
    expect(calls).toEqual([0]);
    expect(() => readSync(fd, Buffer.alloc(8))).toThrow(expect.objectContaining({ code: 'EAGAIN' }));
    closeSync(fd);
  });

  it('close() is idempotent and a closed poller reports EBADF', () => {
    const fd = eventfd(0, Linux.EFD_NONBLOCK);
    const poller = new EventfdPoller(fd, () => {});
    poller.start().stop();
    poller.close();
    poller.close();
    expect(poller.closed).toBe(true);
    expect(() => poller.start()).toThrow(expect.objectContaining({ code: 'EBADF' }));
    closeSync(fd);
  });

  it('start() on a bad fd throws instead of crashing', () => {
    const poller = new EventfdPoller(-1, () => {});
    expect(() => poller.start()).toThrow(expect.objectContaining({ syscall: 'uv_poll_start' }));
    poller.close();
  });

  it('keeps the process alive while started and ref\'d, and not once unref\'d', () => {
    const held = runChild(`
      const fd = abi.eventfd(0, abi.Linux.EFD_NONBLOCK);
      const p = new abi.EventfdPoller(fd, () => { console.log('fired'); p.close(); }).start();
      setTimeout(() => require('fs').writeSync(fd, Buffer.from([1,0,0,0,0,0,0,0])), 200).unref();
    `);
    expect(held.stderr).toBe('');
    expect(held.stdout.trim()).toBe('fired');
    expect(held.status).toBe(0);
    const released = runChild(`
      const fd = abi.eventfd(0, abi.Linux.EFD_NONBLOCK);
      new abi.EventfdPoller(fd, () => console.log('fired')).start().unref();
      console.log('done');
    `, 5_000);
    expect(released.signal).toBeNull();
    expect(released.stdout.trim()).toBe('done');
    expect(released.status).toBe(0);
  });

  it('an exception thrown by the callback is an uncaught exception, like any libuv callback', () => {
    const child = runChild(`
      process.on('uncaughtException', (e) => { console.log('caught', e.message); process.exit(0); });
      const fd = abi.eventfd(1, abi.Linux.EFD_NONBLOCK);
      new abi.EventfdPoller(fd, () => { throw new Error('boom'); }).start();
    `);
    expect(child.stdout.trim()).toBe('caught boom');
    expect(child.status).toBe(0);
  });

  it('promises settled in the callback run their reactions before the next libuv phase', () => {
    const out = execFileSync(process.execPath, ['-e', `
      const abi = require(${JSON.stringify(dist)});
      const order = [];
      const fd = abi.eventfd(1, abi.Linux.EFD_NONBLOCK);
      const p = new abi.EventfdPoller(fd, () => {
        Promise.resolve().then(() => order.push('microtask'));
        setImmediate(() => { order.push('immediate'); console.log(order.join(',')); });
        order.push('callback');
        p.close();
      }).start();
    `], { encoding: 'utf8' });
    expect(out.trim()).toBe('callback,microtask,immediate');
  });

  it('survives worker threads terminated with an active poller', async () => {
    for (let k = 0; k < 8; k++) {
      const worker = new Worker(
        `const abi = require(${JSON.stringify(dist)});
         const { parentPort } = require('worker_threads');
         const fd = abi.eventfd(0, abi.Linux.EFD_NONBLOCK);
         new abi.EventfdPoller(fd, () => {}).start();
         parentPort.postMessage('ready');`,
        { eval: true },
      );
      await new Promise((resolve) => worker.once('message', resolve));
      expect(await worker.terminate()).toBe(1);
    }
  });
});
