/**
 * uring-demo — shows what uring does on this machine. Today: `info`. The benchmark, serve and cp
 * subcommands arrive with the fs, net and streams layers.
 */
import { formatInfo, info } from './info.js';

export { info, formatInfo, type Info } from './info.js';

const usage = `usage: uring-demo [info] [--json]

  info      the kernel, whether io_uring is usable here (and why not), and the ops it supports
  --json    print machine-readable output`;

/** Runs the CLI; returns the exit code. Bad input prints one line and returns 2. */
export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const [command = 'info', ...rest] = argv.filter((a) => a !== '--json');
  if (command === '--help' || command === '-h' || command === 'help') {
    console.log(usage);
    return 0;
  }
  if (command !== 'info' || rest.length > 0) {
    console.error(`uring-demo: unknown command '${[command, ...rest].join(' ')}' (try --help)`);
    return 2;
  }
  const result = info();
  console.log(json ? JSON.stringify(result, null, 2) : formatInfo(result));
  if (!json) console.log('\nRing benchmarks: `pnpm bench` (ratios against Node and C, measured in the same run).');
  return 0;
}
