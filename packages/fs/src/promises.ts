import * as node from 'node:fs/promises';
import { backend } from './backend.js';
import { readFile } from './ops/read-file.js';
import { lstat, stat } from './ops/stat.js';

/**
 * node:fs/promises on io_uring. Every function of Node's module is here; those the ring serves so
 * far (stat, lstat, readFile) take the ring for well-formed arguments and hand anything else to
 * Node, and the rest are Node's own until they move onto the ring. The README lists which is which.
 */
const promises = {
  ...node,
  stat: stat as typeof node.stat,
  lstat: lstat as typeof node.lstat,
  readFile: readFile as typeof node.readFile,
};

export default promises;
export { backend };
