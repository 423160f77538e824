import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// In processes of their own, against the built package, as a user's script would load it.
const dist = new URL('../dist/index.js', import.meta.url).href;
const dir = mkdtempSync(join(tmpdir(), 'uring-abi-uncaught-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(name: string, lines: string[]) {
  const file = join(dir, name);
  writeFileSync(file, [`import { throwUncaught } from ${JSON.stringify(dist)};`, ...lines, ''].join('\n'));
  return { url: pathToFileURL(file).href, ...spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 20_000 }) };
}

describe('throwUncaught', () => {
  it("hands the error to 'uncaughtException' and its monitor, then returns to its caller", () => {
    const r = run('handled.mjs', [
      "process.on('uncaughtExceptionMonitor', (e, origin) => console.log('monitor', e.message, origin));",
      "process.on('uncaughtException', (e, origin) => console.log('handler', e.message, origin));",
      "throwUncaught(new Error('one'));",
      "console.log('after');",
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['monitor one uncaughtException', 'handler one uncaughtException', 'after']);
    expect(r.status).toBe(0);
  });

  it("with no handler ends the process as an uncaught throw would, Node printing the line where the error was made", () => {
    const r = run('fatal.mjs', [
      'function make() {',
      "  return new Error('made here');",
      '}',
      "process.on('exit', (code) => console.log('exit', code));",
      'throwUncaught(make());',
      "console.log('never');",
    ]);
    expect(r.status).toBe(1);
    expect(r.stdout.trim()).toBe('exit 1');
    const lines = r.stderr.split('\n');
    expect(lines.slice(0, 2)).toEqual([`${r.url}:3`, "  return new Error('made here');"]);
    expect(lines).toContain('Error: made here');
  });
});
