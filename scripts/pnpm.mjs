#!/usr/bin/env node
// Runs the pinned pnpm (the `packageManager` field) whether or not pnpm is installed, so that
// `npm test` and `npm run demo` work on a machine that has only Node and npm.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const pinned = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')).packageManager;
const version = pinned.split('@')[1];

function installed() {
  const r = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() === version;
}

const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' };
const [cmd, args] = installed()
  ? ['pnpm', process.argv.slice(2)]
  : ['npx', ['-y', `pnpm@${version}`, ...process.argv.slice(2)]];
const r = spawnSync(cmd, args, { stdio: 'inherit', env, cwd: root });
if (r.error) {
  console.error(`could not run ${cmd}: ${r.error.message}`);
  process.exit(1);
}
process.exit(r.status ?? 1);
