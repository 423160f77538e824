import { pipe } from '@uring/abi';
import { until } from '@uring/ring/test';
import { closeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Cancellation } from './cancel.js';
import { AbortError } from './errors.js';
import { Loop } from './loop.js';

describe('Cancellation', () => {
  it("calls each listener once, in order, at the first abort() — as an AbortSignal's 'abort' listeners", () => {
    const behaviour = (signal: { addEventListener(t: 'abort', f: () => void): void; removeEventListener(t: 'abort', f: () => void): void }, abort: (reason: unknown) => void, state: () => [boolean, unknown]) => {
      const calls: string[] = [];
      const a = () => calls.push('a');
      const b = () => calls.push('b');
      const c = () => calls.push('c');
      signal.addEventListener('abort', a);
      signal.addEventListener('abort', b);
      signal.addEventListener('abort', c);
      signal.removeEventListener('abort', b);
      signal.removeEventListener('abort', () => calls.push('never added'));
      const before = state();
      abort('first');
      abort('second');
      signal.addEventListener('abort', () => calls.push('added after'));
      return { calls, before, after: state() };
    };
    const ours = new Cancellation();
    const controller = new AbortController();
    const expected = behaviour(controller.signal, (r) => controller.abort(r), () => [controller.signal.aborted, controller.signal.reason]);
    expect(behaviour(ours, (r) => ours.abort(r), () => [ours.aborted, ours.reason])).toEqual(expected);
    expect(expected).toEqual({ calls: ['a', 'c'], before: [false, undefined], after: [true, 'first'] });
  });

  it('a listener that throws does not stop the others: its error is thrown from the next tick', async () => {
    const ours = new Cancellation();
    const calls: string[] = [];
    ours.addEventListener('abort', () => {
      throw new Error('listener failed');
    });
    ours.addEventListener('abort', () => calls.push('second'));
    const listeners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    const thrown = new Promise<Error>((resolve) => process.once('uncaughtException', resolve));
    try {
      ours.abort('why');
      expect(calls).toEqual(['second']);
      expect((await thrown).message).toBe('listener failed');
    } finally {
      for (const listener of listeners) process.on('uncaughtException', listener);
    }
  });

  it("cancels a loop's operation as an AbortSignal does: AbortError at once with the reason as cause, the slot kept until the CQE; refused unsubmitted once aborted", async () => {
    const loop = new Loop();
    const [r, w] = pipe();
    const signal = new Cancellation();
    const pending = loop.read(r, Buffer.alloc(8), 0, 8, -1, { signal });
    await new Promise((resolve) => setImmediate(resolve));
    expect(loop.metrics.inFlight).toBe(1);
    signal.abort(new Error('stop'));
    const error = await pending.catch((e: Error) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(error).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: new Error('stop') });
    await until(() => loop.metrics.inFlight === 0);
    const submitted = loop.metrics.submitted;
    await expect(loop.nop({ signal })).rejects.toMatchObject({ code: 'ABORT_ERR', cause: new Error('stop') });
    expect(loop.metrics.submitted).toBe(submitted);
    // An operation that ends takes its listener off: the signal holds nothing of it afterwards.
    const listening = new Set<() => void>();
    const later = new (class extends Cancellation {
      override addEventListener(type: 'abort', listener: () => void): void {
        listening.add(listener);
        super.addEventListener(type, listener);
      }
      override removeEventListener(type: 'abort', listener: () => void): void {
        listening.delete(listener);
        super.removeEventListener(type, listener);
      }
    })();
    const done = loop.nop({ signal: later });
    expect(listening.size).toBe(1);
    await done;
    expect(listening.size).toBe(0);
    closeSync(r);
    closeSync(w);
    await loop.close();
  });
});
