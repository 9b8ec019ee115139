import { spawn } from 'node:child_process';
import type { z } from 'zod';

/** Progress lines on stderr, prefixed with the time since the bench started. */
const startedAt = Date.now();

export function elapsed(): string {
  return `${((Date.now() - startedAt) / 1000).toFixed(1).padStart(6)}s`;
}

export function progress(text: string): void {
  process.stderr.write(`[${elapsed()}] ${text}\n`);
}

export async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; result: T }> {
  const start = process.hrtime.bigint();
  const result = await work();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, result };
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Runs `node <script> <json>` and parses the last stdout line with `schema`; stderr passes through. */
export function runChild<T>(script: string, input: unknown, schema: z.ZodType<T>, nodeArgs: string[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, script, JSON.stringify(input)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (data: Buffer) => (output += data.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`${script} exited with code ${code}: ${output.slice(-2000)}`));
      const last = output.trim().split('\n').at(-1) ?? '';
      try {
        resolve(schema.parse(JSON.parse(last)));
      } catch (err) {
        reject(new Error(`${script} printed no result (${err instanceof Error ? err.message : String(err)}): ${output.slice(-2000)}`));
      }
    });
  });
}

export function formatInteger(value: number): string {
  if (!Number.isFinite(value)) return '-';
  return Math.round(value).toLocaleString('en-US');
}

export function formatFixed(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

export function percent(ratio: number): string {
  return Number.isFinite(ratio) ? `${(ratio * 100).toFixed(0)}%` : '-';
}

/** An aligned text table: the first `textColumns` columns left-aligned, the others right-aligned. */
export function table(headers: string[], rows: string[][], textColumns = 2): string {
  const widths = headers.map((header, index) => Math.max(header.length, ...rows.map((row) => (row[index] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((cell, index) => (index < textColumns ? cell.padEnd(widths[index]!) : cell.padStart(widths[index]!))).join('  ').trimEnd();
  return [line(headers), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}
