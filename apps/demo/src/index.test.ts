import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/uring-demo.mjs', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

describe('uring-demo', () => {
  it('info --json reports the kernel and io_uring support', () => {
    const r = run('info', '--json');
    expect(r.status).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.kernel).toMatch(/^\d+\.\d+/);
    if (info.supported) expect(info.ops).toContain('READ');
    else expect(info.reason).toBeTypeOf('string');
    expect(info.backends).toEqual(info.supported ? { fs: 'io_uring', net: 'io_uring' } : { fs: 'node', net: 'node' });
  });

  it('says why io_uring is off under URING_DISABLE=1', () => {
    const r = spawnSync(process.execPath, [bin], { encoding: 'utf8', env: { ...process.env, URING_DISABLE: '1' } });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('unavailable (disabled-by-env)');
    expect(r.stdout).toContain('backends   @uring/fs: node, @uring/net: node');
  });

  it('rejects an unknown command with one line and exit code 2', () => {
    const r = run('frobnicate');
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });
});
