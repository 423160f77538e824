/**
 * A `Range` request header against a file of `size` bytes (RFC 9110 §14): one byte range
 * `bytes=a-b`, `bytes=a-` or `bytes=-n` → its inclusive [start, end]; 'unsatisfiable' when it
 * starts past the end (416); undefined — serve the whole file — when there is no header, it is
 * malformed, names another unit, or asks for several ranges (which a server may ignore).
 */
export function parseRange(header: string | undefined, size: number): [number, number] | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined;
  const [, first, last] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return 'unsatisfiable';
    return size === 0 ? 'unsatisfiable' : [Math.max(0, size - suffix), size - 1];
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return undefined; // invalid: ignored
  if (start >= size) return 'unsatisfiable';
  return [start, end];
}
