/**
 * What one system call costs on this machine: the context every benchmark ratio needs. Node's
 * fs.promises and fs.readSync pay a syscall (and, for promises, a thread hand-off) per operation,
 * while a ring pays one io_uring_enter per batch; so where a syscall is dear — a paravirtualized
 * guest whose syscalls trap to the hypervisor, mitigations — every ratio against Node grows, and
 * where it is cheap they shrink. Measured the way lmbench's "null call" is: a loop of getppid(2)
 * in a small C program, so that no JavaScript or N-API cost is in the figure.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const source = `#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
int main(void) {
  const long n = 200000;
  struct timespec a, b;
  syscall(SYS_getppid);
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; i++) syscall(SYS_getppid);
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%.1f\\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
  return 0;
}
`;

/**
 * Nanoseconds per null system call (getppid), the median of `runs` runs of 200,000 calls; or
 * undefined where there is no C compiler (`cc`) or the program fails — the figure is context, and
 * its absence never stops a benchmark.
 */
export function syscallCost(runs = 3): number | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'uring-syscall-cost-'));
  try {
    writeFileSync(join(dir, 'null-call.c'), source);
    const program = join(dir, 'null-call');
    const cc = spawnSync('cc', ['-O2', '-o', program, join(dir, 'null-call.c')], { stdio: 'ignore', timeout: 60_000 });
    if (cc.status !== 0) return undefined;
    const samples: number[] = [];
    for (let k = 0; k < runs; k++) {
      const r = spawnSync(program, { encoding: 'utf8', timeout: 60_000 });
      const ns = Number(r.stdout);
      if (r.status !== 0 || !(ns > 0)) return undefined;
      samples.push(ns);
    }
    samples.sort((a, b) => a - b);
    return samples[samples.length >> 1];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** "980 ns" or "1.12 µs" (per getppid), for the run's header line. */
export function describeSyscall(ns: number): string {
  return `${ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${Math.round(ns)} ns`} (getppid)`;
}
