import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = pathToFileURL(fileURLToPath(new URL('../dist/index.js', import.meta.url))).href;

describe('without io_uring', () => {
  it('hands out Node\'s own streams, which work the same', () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `
      import * as fs from 'node:fs';
      import { createReadStream, createWriteStream, uringUsable } from ${JSON.stringify(dist)};
      const rs = createReadStream('/etc/hostname');
      const ws = createWriteStream('/dev/null');
      let bytes = 0;
      for await (const c of rs) bytes += c.length;
      ws.end('x');
      await new Promise((r) => ws.on('close', r));
      console.log(JSON.stringify({ usable: uringUsable(), nodeRead: rs.constructor === fs.ReadStream, nodeWrite: ws.constructor === fs.WriteStream, bytes: bytes === fs.readFileSync('/etc/hostname').length }));
    `], { encoding: 'utf8', env: { ...process.env, URING_DISABLE: '1' } });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ usable: false, nodeRead: true, nodeWrite: true, bytes: true });
  });
});
