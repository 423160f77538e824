import type { Readable, Writable } from 'node:stream';

export interface ReadRecord {
  events: string[];
  data: Buffer | string;
  chunkSizes: number[];
  error?: Record<string, unknown>;
}

/** Error properties that must match Node's (never the stack). */
export function errorShape(error: unknown): Record<string, unknown> | undefined {
  if (!(error instanceof Error)) return undefined;
  const e = error as NodeJS.ErrnoException & { cause?: unknown };
  return { name: e.name, message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path };
}

/** Reads a stream to its end, recording its events in order (runs of 'data' folded into one). */
export function record(stream: Readable, timeout = 10_000): Promise<ReadRecord> {
  return new Promise((resolve, reject) => {
    const events: string[] = [];
    const chunks: (Buffer | string)[] = [];
    let error: Record<string, unknown> | undefined;
    const note = (name: string) => events[events.length - 1] !== name && events.push(name);
    for (const name of ['open', 'ready', 'end']) stream.on(name, () => note(name));
    stream.on('data', (chunk: Buffer | string) => {
      chunks.push(chunk);
      note('data');
    });
    stream.on('error', (e) => {
      error = errorShape(e);
      note(`error:${(e as NodeJS.ErrnoException).code}`);
    });
    const timer = setTimeout(() => reject(new Error(`no 'close' within ${timeout} ms; events: ${events.join(',')}`)), timeout);
    stream.on('close', () => {
      clearTimeout(timer);
      note('close');
      const data = chunks.length && typeof chunks[0] === 'string' ? (chunks as string[]).join('') : Buffer.concat(chunks as Buffer[]);
      resolve({ events, data, chunkSizes: chunks.map((c) => c.length), error });
    });
  });
}

/** Writes `chunks` and ends, recording the events in order. */
export function recordWrite(stream: Writable, chunks: (Buffer | string)[], timeout = 10_000): Promise<{ events: string[]; error?: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const events: string[] = [];
    let error: Record<string, unknown> | undefined;
    for (const name of ['open', 'ready', 'finish', 'drain']) stream.on(name, () => events.push(name));
    stream.on('error', (e) => {
      error = errorShape(e);
      events.push(`error:${(e as NodeJS.ErrnoException).code}`);
    });
    const timer = setTimeout(() => reject(new Error(`no 'close' within ${timeout} ms; events: ${events.join(',')}`)), timeout);
    stream.on('close', () => {
      clearTimeout(timer);
      events.push('close');
      resolve({ events, error });
    });
    for (const c of chunks) stream.write(c);
    stream.end();
  });
}
