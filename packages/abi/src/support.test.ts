import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Feature } from './constants.js';
import { support } from './support.js';

const dist = fileURLToPath(new URL('../dist/index.cjs', import.meta.url));

describe('support()', () => {
  it('reports a consistent answer without throwing', () => {
    const report = support();
    expect(report.kernel).toMatch(/^\d+\.\d+/);
    if (report.supported) {
      expect(report.reason).toBeUndefined();
      expect((report.features ?? 0) & Feature.SINGLE_MMAP).toBeTruthy();
    } else {
      expect(report.reason).toBeTypeOf('string');
      expect(report.message.length).toBeGreaterThan(10);
    }
    expect(support()).toBe(report);
  });

  it('reports disabled-by-env under URING_DISABLE=1', () => {
    const child = spawnSync(process.execPath, ['-p', `JSON.stringify(require(${JSON.stringify(dist)}).support())`], {
      encoding: 'utf8',
      env: { ...process.env, URING_DISABLE: '1' },
    });
    const report = JSON.parse(child.stdout);
    expect(report).toMatchObject({ supported: false, reason: 'disabled-by-env' });
    expect(report.message).toContain('URING_DISABLE');
  });
});
