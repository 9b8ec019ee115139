/**
 * A one-line progress bar with throughput, redrawn in place on a terminal and printed as
 * occasional plain lines elsewhere (CI logs).
 */
export class ProgressBar {
  private readonly startedAt = Date.now();
  private lastPlainAt = 0;
  private printedComplete = false;

  constructor(private readonly label: string, private readonly stream: NodeJS.WriteStream = process.stdout) {}

  update(done: number, total: number, unit = 'rows'): void {
    const fraction = total > 0 ? Math.min(1, done / total) : 0;
    const seconds = (Date.now() - this.startedAt) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const width = 30;
    const filled = Math.round(fraction * width);
    const line = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ` +
      `${formatCount(done)}/${formatCount(total)} ${unit}  ${formatCount(Math.round(rate))} ${unit}/s  ${seconds.toFixed(1)}s`;
    if (this.stream.isTTY) {
      this.stream.write(`\r${line}\u001b[K`);
    } else if (Date.now() - this.lastPlainAt >= 2000 || (fraction === 1 && !this.printedComplete)) {
      this.lastPlainAt = Date.now();
      this.printedComplete = fraction === 1;
      this.stream.write(`${line}\n`);
    }
  }

  done(): void {
    if (this.stream.isTTY) this.stream.write('\n');
  }
}

export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
