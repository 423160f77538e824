/**
 * Progress on stderr: a redrawn bar on a terminal, and on a pipe or file only the lines that
 * matter (no carriage-return noise in CI logs).
 */
export class Progress {
  #tty: boolean;
  #last = '';
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.#tty = Boolean(stream.isTTY);
  }

  /** A bar with the fraction done and a label; redrawn in place on a terminal, silent otherwise. */
  bar(done: number, total: number, label: string): void {
    if (!this.#tty) return;
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const width = 30;
    const filled = Math.round(fraction * width);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${label}`;
    if (line === this.#last) return;
    this.#last = line;
    this.stream.write(`\r${line}\x1b[K`);
  }

  /** A status line (on a terminal, it replaces the bar). */
  line(text: string): void {
    if (this.#tty && this.#last) this.stream.write('\r\x1b[K');
    this.#last = '';
    this.stream.write(`${text}\n`);
  }

  /** Ends a bar's line on a terminal. */
  end(): void {
    if (this.#tty && this.#last) this.stream.write('\n');
    this.#last = '';
  }
}

/** 12.3 MiB, 1.2 GiB … */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}
