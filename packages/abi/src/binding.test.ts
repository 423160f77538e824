import { describe, expect, it } from 'vitest';
import { buildHint, loadBinding, native } from './binding.js';

describe('loading the addon', () => {
  it('loads the built addon once', () => {
    expect(typeof native().enter).toBe('function');
    expect(native()).toBe(native());
  });

  it('fails with one actionable message naming what was tried', () => {
    expect(() => loadBinding(['../nowhere/uring_abi.node'])).toThrow(/could not load the native addon uring_abi\.node \(not built\)\nTried: .*nowhere\/uring_abi\.node\nBuild it with `pnpm --filter @uring\/abi build`/);
  });

  it('says how to build it from source once installed from npm, where cmake-js is not a dependency', () => {
    expect(buildHint('/srv/app/node_modules/@uring/abi/')).toBe(
      "Build it from source (needs cmake, a C++17 compiler and Node's headers): cd /srv/app/node_modules/@uring/abi && npm install && npx cmake-js compile",
    );
    expect(buildHint('/work/uring/packages/abi/')).toMatch(/^Build it with `pnpm --filter @uring\/abi build`/);
  });

  it('reports the loader\'s own error for a file that is not an addon', () => {
    expect(() => loadBinding(['../CMakeLists.txt'])).toThrow(/Loading it failed: /);
  });
});
