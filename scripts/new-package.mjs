#!/usr/bin/env node
// Writes the package.json/tsconfig.json every workspace package shares (same exports map, same
// scripts), keeping a package's own description, dependencies and extra fields. Run after adding a
// package: `node scripts/new-package.mjs packages/foo "what it is"`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const [dir, description] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node scripts/new-package.mjs <dir> [description]');
  process.exit(2);
}
const file = join(dir, 'package.json');
const old = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
const name = `@uring/${basename(dir)}`;
const pkg = {
  name,
  version: old.version ?? '0.0.0',
  description: description ?? old.description ?? '',
  license: 'MIT',
  type: 'module',
  main: './dist/index.cjs',
  module: './dist/index.js',
  types: './dist/index.d.ts',
  exports: {
    '.': {
      import: { types: './dist/index.d.ts', default: './dist/index.js' },
      require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
    },
    './package.json': './package.json',
  },
  files: ['dist', ...(old.files ?? []).filter((f) => f !== 'dist')],
  engines: { node: '>=20' },
  os: ['linux'],
  scripts: {
    build: 'tsup src/index.ts --format esm,cjs --dts --clean --shims --sourcemap --target node20',
    test: 'vitest run --passWithNoTests --reporter=default --reporter=json --outputFile.json=.vitest/results.json',
    typecheck: 'tsc -p tsconfig.json',
    bench: 'node bench/run.mjs',
    ...old.scripts,
  },
  ...Object.fromEntries(
    Object.entries(old).filter(([k]) => !['name', 'version', 'description', 'license', 'type', 'main', 'module', 'types', 'exports', 'files', 'engines', 'os', 'scripts'].includes(k)),
  ),
};
writeFileSync(file, JSON.stringify(pkg, null, 2) + '\n');
const tsconfig = join(dir, 'tsconfig.json');
if (!existsSync(tsconfig)) {
  writeFileSync(tsconfig, JSON.stringify({ extends: '../../tsconfig.base.json', include: ['src', 'bench'] }, null, 2) + '\n');
}
console.log(`wrote ${file}`);
