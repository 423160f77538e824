/**
 * uring-demo — shows what uring does on this machine: a side-by-side benchmark against Node with a
 * table and a chart (the default), a static file server, a file copy with a progress bar, and what
 * the kernel offers. Bad input gets one line on stderr and a non-zero exit code, never a stack.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { support } from '@uring/abi';
import { PACKAGES, formatTable, runSuite, type BenchPackage, type SuiteResult } from './bench.js';
import { renderChart } from './chart.js';
import { copy } from './cp.js';
import { formatInfo, info } from './info.js';
import { Progress, bytes } from './progress.js';
import { serve } from './serve.js';
import { describeSyscall, syscallCost } from './syscall-cost.js';

export { info, formatInfo, type Info } from './info.js';
export { serve, type ServeOptions, type Serving } from './serve.js';
export { copy, type CopyResult } from './cp.js';
export { runSuite, formatTable, figuresOf, type Figure, type SuiteResult } from './bench.js';
export { renderChart } from './chart.js';
export { parseRange } from './range.js';
export { describeSyscall, syscallCost } from './syscall-cost.js';

const usage = `usage: uring-demo [command] [options]

  bench [--full] [--json] [--out DIR] [--only PKG,…]
            @uring vs Node, side by side (the default command): a short run (--full: the long
            one), a table, and results.json, results.md and chart.svg (+ chart.png) in DIR
            (default: a new temp dir). PKG: ${PACKAGES.join(', ')}
  serve DIR [--port N] [--host H]
            a static file server for DIR on @uring/net + @uring/fs (default 127.0.0.1:8080)
  cp SRC DST
            copy a file through the kernel (splice), with a progress bar
  info [--json]
            the kernel, whether io_uring is usable here and why not, probed ops, backends
  help      this text`;

/** A usage error: one line, exit code 2. */
class UsageError extends Error {}

/** Runs the CLI; returns the exit code (0 ok, 1 failed, 2 bad usage). */
export async function main(argv: string[]): Promise<number> {
  const [command = 'bench', ...rest] = argv[0]?.startsWith('-') && argv[0] !== '--help' && argv[0] !== '-h' ? ['bench', ...argv] : argv;
  try {
    switch (command) {
      case 'help':
      case '--help':
      case '-h':
        console.log(usage);
        return 0;
      case 'info':
        return infoCommand(rest);
      case 'bench':
        return await benchCommand(rest);
      case 'serve':
        return await serveCommand(rest);
      case 'cp':
        return await cpCommand(rest);
      default:
        throw new UsageError(`unknown command '${command}' (try --help)`);
    }
  } catch (error) {
    const usageError = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    console.error(`uring-demo${usageError || command === undefined ? '' : ` ${command}`}: ${oneLine(error as Error)}`);
    return usageError ? 2 : 1;
  }
}

function oneLine(error: Error): string {
  const { code } = error as NodeJS.ErrnoException;
  if (code === 'EADDRINUSE') return `the port is in use (${error.message})`;
  return error.message.split('\n')[0]!;
}

function parse(args: string[], options: NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>, positionals: number) {
  const parsed = parseArgs({ args, options, allowPositionals: positionals > 0, strict: true });
  if (parsed.positionals.length !== positionals) {
    throw new UsageError(`expected ${positionals} argument${positionals === 1 ? '' : 's'}, got ${parsed.positionals.length} (try --help)`);
  }
  return parsed;
}

function infoCommand(args: string[]): number {
  const { values } = parse(args, { json: { type: 'boolean' } }, 0);
  const result = info();
  console.log(values.json ? JSON.stringify(result, null, 2) : formatInfo(result));
  return 0;
}

async function benchCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { full: { type: 'boolean' }, json: { type: 'boolean' }, out: { type: 'string' }, only: { type: 'string' } }, 0);
  const only = values.only === undefined ? undefined : (String(values.only).split(',') as BenchPackage[]);
  for (const pkg of only ?? []) if (!PACKAGES.includes(pkg)) throw new UsageError(`unknown package '${pkg}' for --only (one of ${PACKAGES.join(', ')})`);
  const report = support();
  if (!report.supported) throw new Error(`io_uring is unavailable here (${report.reason}): nothing to compare — see 'uring-demo info'`);

  const progress = new Progress();
  const packages = only ?? PACKAGES;
  progress.line(`uring-demo bench: ${values.full ? 'full' : 'short'} run of ${packages.length} package benchmarks, @uring vs Node in the same process (each makes its data set in a temp dir)`);
  const machine: SuiteResult['machine'] = { kernel: release(), node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model.trim() ?? 'unknown' };
  const syscallNs = syscallCost();
  if (syscallNs !== undefined) {
    machine.syscallNs = syscallNs;
    progress.line(`a system call costs ${describeSyscall(syscallNs)} here: Node pays one per operation, a ring one per batch`);
  }
  const result = await runSuite(machine, {
    full: values.full === true,
    only,
    onProgress: ({ pkg, index, total, done, seconds, error }) => {
      const head = `[${index + 1}/${total}] @uring/${pkg}`;
      if (!done) progress.bar(index, total, `${head} running…`);
      else progress.line(`${head} ${error ? `failed: ${error}` : `done in ${seconds!.toFixed(1)} s`}`);
    },
  });
  progress.end();

  const out = values.out ? resolve(String(values.out)) : mkdtempSync(join(tmpdir(), 'uring-demo-bench-'));
  mkdirSync(out, { recursive: true });
  const written = writeResults(result, out);
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(`\n${formatTable(result)}\n`);
    console.log('Ratios are medians over interleaved reps, @uring and Node measured in the same process; above 1x, @uring wins.');
  }
  progress.line(`wrote ${written.join(', ')}`);
  for (const failure of result.failures) progress.line(`uring-demo bench: ${failure.package} failed: ${failure.error}`);
  return result.failures.length > 0 ? 1 : 0;
}

/** results.json, results.md, chart.svg and, where ImageMagick or rsvg-convert is installed, chart.png. */
function writeResults(result: SuiteResult, out: string): string[] {
  const files = [join(out, 'results.json'), join(out, 'results.md'), join(out, 'chart.svg')];
  writeFileSync(files[0]!, `${JSON.stringify(result, null, 2)}\n`);
  const { machine } = result;
  const syscall = machine.syscallNs === undefined ? '' : `, a system call ${describeSyscall(machine.syscallNs)}`;
  writeFileSync(files[1]!, `# uring vs Node (${result.mode} run, ${result.date})\n\nLinux ${machine.kernel}, Node ${machine.node}, ${machine.cpus} × ${machine.cpu}${syscall}\n\n${formatTable(result, true)}\n`);
  writeFileSync(files[2]!, renderChart(result));
  const png = join(out, 'chart.png');
  for (const [cmd, args] of [
    ['rsvg-convert', ['-o', png, files[2]!]],
    ['convert', [files[2]!, png]],
  ] as const) {
    const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 30_000 });
    if (r.status === 0) {
      files.push(png);
      return files;
    }
  }
  files.push('(no chart.png: no SVG renderer here — rsvg-convert from librsvg2-bin, or ImageMagick, makes one)');
  return files;
}

async function serveCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { port: { type: 'string' }, host: { type: 'string' }, quiet: { type: 'boolean' } }, 1);
  const port = values.port === undefined ? 8080 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be an integer from 0 to 65535, got '${values.port}'`);
  const dir = positionals[0]!;
  const serving = await serve(dir, {
    port,
    host: values.host === undefined ? undefined : String(values.host),
    onRequest: values.quiet ? undefined : (method, path, status, sent) => console.log(`${method} ${path} ${status} ${bytes(sent)}`),
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new Error(`no such directory: ${dir}`);
    throw error;
  });
  console.log(`serving ${resolve(dir)} at ${serving.url} (fs: ${serving.backends.fs}, net: ${serving.backends.net}); Ctrl-C stops`);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void serving.close().then(done);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}

async function cpCommand(args: string[]): Promise<number> {
  const { positionals } = parse(args, {}, 2);
  const [src, dst] = positionals as [string, string];
  const progress = new Progress();
  const result = await copy(src, dst, (done, total) => progress.bar(done, total, `${bytes(done)} of ${bytes(total)}`));
  progress.end();
  const rate = result.seconds > 0 ? result.bytes / result.seconds / 1e6 : 0;
  console.log(`copied ${bytes(result.bytes)} to ${result.to} in ${result.seconds.toFixed(2)} s (${rate.toFixed(0)} MB/s)`);
  return 0;
}
