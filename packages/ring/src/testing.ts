/**
 * Test helpers for code that drives a real ring: the ring configurations every core suite runs
 * under, a skip reason when the kernel lacks one, and reaping that yields to the event loop
 * (so peers in the same process, like a node:net client, make progress) and gives up after a
 * deadline instead of blocking in the kernel forever.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Linux, SetupFlag, close, eventfd, support } from '@uring/abi';
import { CqeBatch } from './cqe.js';
import { IoUring, type IoUringOptions } from './io-uring.js';
import { prepRecvLimitProbe, takesRecvLimit } from './probe.js';

export interface RingConfig {
  name: string;
  options: IoUringOptions;
}

/** Default, COOP_TASKRUN (5.19) and SINGLE_ISSUER+DEFER_TASKRUN (6.1): the configurations liburing's tests cover. */
export const ringConfigs: RingConfig[] = [
  { name: 'no setup flags', options: { flags: 0 } },
  { name: 'COOP_TASKRUN', options: { flags: SetupFlag.COOP_TASKRUN | SetupFlag.TASKRUN_FLAG } },
  { name: 'SINGLE_ISSUER+DEFER_TASKRUN', options: { flags: SetupFlag.SINGLE_ISSUER | SetupFlag.DEFER_TASKRUN } },
];

/** Why a ring with `options` cannot be made here, or undefined when it can. */
export function unavailable(options: IoUringOptions = {}): string | undefined {
  const report = support();
  if (!report.supported) return report.message;
  try {
    IoUring.init(2, options).close();
    return undefined;
  } catch (error) {
    return `this kernel refuses the ring flags (${(error as Error).message})`;
  }
}

/** Why a multishot recv cannot take a byte limit here (Sqes.setRecvLimit, 6.17), or undefined when it can: probed on a ring of its own. */
export function noRecvLimit(): string | undefined {
  const reason = unavailable();
  if (reason !== undefined) return reason;
  const ring = IoUring.init(2);
  const fd = eventfd(0, Linux.EFD_CLOEXEC);
  try {
    const i = ring.getSqe();
    prepRecvLimitProbe(ring.sqes, i, fd);
    ring.submitAndWait(1);
    const batch = new CqeBatch(1);
    ring.cq.copy(batch);
    return takesRecvLimit(batch.res(0)) ? undefined : `this kernel has no byte limit for multishot recv (6.17; the probe got ${batch.res(0)})`;
  } finally {
    close(fd);
    ring.close();
  }
}

/** A suite title that carries its skip reason. */
export function titled(name: string, reason: string | undefined): string {
  return reason === undefined ? name : `${name} — skipped: ${reason}`;
}

/** For tests: resolves once `condition()` holds (looked at every millisecond), rejects after `ms`. */
export async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/**
 * For tests of a package's published types: compiles `files` (file name → source; `.mts` files are
 * ES modules, `.cts` CommonJS) as a user's project would — TypeScript's `nodenext` modules, strict,
 * @types/node, no skipLibCheck — in a directory made inside `packageDir`, so that the package's
 * own name resolves to its built declarations through its package.json "exports" (build it
 * first). Returns the diagnostics, each as `file:line: message`; none when everything compiles.
 */
export async function compileAsUser(packageDir: string, files: Record<string, string>): Promise<string[]> {
  const ts = (await import('typescript')).default;
  mkdirSync(join(packageDir, '.vitest'), { recursive: true });
  const dir = mkdtempSync(join(packageDir, '.vitest', 'types-'));
  try {
    const names = Object.entries(files).map(([name, text]) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    });
    const program = ts.createProgram(names, {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      strict: true,
      noEmit: true,
      types: ['node'],
    });
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file && d.start !== undefined ? `${basename(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : '';
      return where + ts.flattenDiagnosticMessageText(d.messageText, '\n');
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * compileAsUser for sources written against Node's modules: each is compiled twice, once with its
 * `'PLACEHOLDER'` module names (the keys of `modules`, in quotes) as Node's and once as ours, in one
 * program. Returns each side's diagnostics (`file:line: message`), so a test can ask that both
 * compile, or that ours reject what Node's types reject, on the same lines.
 */
export async function compileBesideNode(packageDir: string, modules: Record<string, [node: string, ours: string]>, files: Record<string, string>): Promise<{ node: string[]; ours: string[] }> {
  const sides = { node: 0, ours: 1 } as const;
  const sources: Record<string, string> = {};
  for (const [name, text] of Object.entries(files)) {
    for (const [side, k] of Object.entries(sides)) {
      sources[`${side}-${name}`] = Object.entries(modules).reduce((t, [key, names]) => t.replaceAll(`'${key}'`, `'${names[k]}'`), text);
    }
  }
  const errors = await compileAsUser(packageDir, sources);
  const of = (side: string) => errors.filter((e) => e.startsWith(`${side}-`)).map((e) => e.slice(side.length + 1));
  return { node: of('node'), ours: of('ours') };
}

/** `file:line` of compileAsUser's diagnostics: where each is, whatever it says. */
export function diagnosticLines(diagnostics: string[]): string[] {
  return diagnostics.map((d) => d.split(':', 2).join(':'));
}

export interface Completion {
  userData: number;
  /** The two halves of user_data, exact whatever their size. */
  lo: number;
  hi: number;
  res: number;
  flags: number;
}

/**
 * Submits what is queued and collects `n` CQEs, yielding to the event loop between tries.
 * Throws when they have not all arrived within `ms`.
 */
export async function reap(ring: IoUring, n: number, ms = 5000): Promise<Completion[]> {
  const batch = new CqeBatch(64);
  const out: Completion[] = [];
  const deadline = Date.now() + ms;
  ring.submit();
  for (;;) {
    const count = ring.copyCqes(batch);
    for (let k = 0; k < count; k++) out.push({ ...batch.get(k), lo: batch.userDataLo(k), hi: batch.userDataHi(k) });
    if (out.length >= n) return out;
    if (Date.now() > deadline) throw new Error(`reaped ${out.length} of ${n} CQEs within ${ms} ms: ${JSON.stringify(out)}`);
    ring.submitAndWaitTimeout(1, 2);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Queues one SQE prepared by `prep` with user_data `userData`, submits, and returns its CQE.
 * Any other CQE reaped meanwhile is an error: a test must account for every completion.
 */
export async function runOne(ring: IoUring, prep: (i: number) => void, userData = 1): Promise<Completion> {
  const i = ring.getSqe();
  prep(i);
  ring.sqes.setUserData(i, userData);
  const cqes = await reap(ring, 1);
  if (cqes.length !== 1 || cqes[0]!.userData !== userData) throw new Error(`expected one CQE for ${userData}, reaped ${JSON.stringify(cqes)}`);
  return cqes[0]!;
}

/** CQEs by user_data, for tests that must not assume completion order. */
export function byUserData(cqes: Completion[]): Map<number, Completion> {
  return new Map(cqes.map((c) => [c.userData, c]));
}
