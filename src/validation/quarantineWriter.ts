import { gzipSync } from 'node:zlib';
import type { ContainerClient } from '@azure/storage-blob';
import type { Column, FileEntry } from '../spec/columns.js';
import { textForm, type TextForm } from '../formats/textForms.js';
import { StagedBlobWriter } from '../sink/stagedBlobWriter.js';
import type { RuleFailure } from './rowRules.js';
import { addRuleCounts, type RuleCount } from './ruleCounts.js';

/**
 * Rows held before they are written as one quarantine file: a chunk that rejects every row
 * holds at most this many rows' text in memory, and its files stay small enough to open by hand.
 */
export const quarantineRowsPerFile = 50_000;

export type QuarantineTarget = {
  container: ContainerClient;
  runId: string;
  chunk: number;
  /** The columns read (output types, after columnTypes): what the values' text forms follow. */
  columns: readonly Column[];
  /** The read's order columns: the row's source key. */
  keyColumns: readonly string[];
  fileName: (file: number) => string;
};

/**
 * Writes a chunk's rejected rows to `_quarantine/part-<chunk>-<file>.jsonl.gz`: one JSON object
 * a line, `{runId, chunk, key, failures, values}`, every value in its exact text form
 * (formats/textForms.ts; null for NULL), so nothing of the row is lost and a person or a later
 * re-ingest reads it without the source. Rows come in the read's fixed order and files roll
 * every quarantineRowsPerFile rows, and gzip writes no time into its header, so a retried chunk
 * writes the same names with the same bytes.
 */
export class QuarantineWriter {
  private readonly texts: (TextForm | undefined)[];
  private readonly keyIndexes: number[];
  private lines: string[] = [];
  private nextFile = 0;
  readonly files: FileEntry[] = [];
  private readonly counts = new Map<string, RuleCount>();
  rows = 0;

  constructor(private readonly target: QuarantineTarget) {
    this.texts = target.columns.map((column) => textForm(column.type));
    this.keyIndexes = target.keyColumns.map((name) => target.columns.findIndex((column) => column.name === name)).filter((index) => index >= 0);
  }

  async add(row: readonly unknown[], failures: readonly RuleFailure[]): Promise<void> {
    const { columns, runId, chunk } = this.target;
    const text = (index: number) => (row[index] == null ? null : this.texts[index]!(row[index]));
    const key = Object.fromEntries(this.keyIndexes.map((index) => [columns[index]!.name, text(index)]));
    const values = Object.fromEntries(columns.map((column, index) => [column.name, text(index)]));
    this.lines.push(`${JSON.stringify({ runId, chunk, key, failures, values })}\n`);
    this.rows++;
    // Each (column, rule) once per row, however many messages it had.
    const named = new Set<string>();
    for (const failure of failures) {
      const name = JSON.stringify([failure.column, failure.rule]);
      if (named.has(name)) continue;
      named.add(name);
      this.counts.set(name, { column: failure.column, rule: failure.rule, rows: (this.counts.get(name)?.rows ?? 0) + 1 });
    }
    if (this.lines.length >= quarantineRowsPerFile) await this.flush();
  }

  /** How many rows broke each rule, most first. */
  ruleCounts(): RuleCount[] {
    return addRuleCounts([[...this.counts.values()]]);
  }

  /** Writes the rows held as the next file; call once more after the last row. */
  async flush(): Promise<void> {
    if (!this.lines.length) return;
    const path = this.target.fileName(this.nextFile++);
    const rows = this.lines.length;
    const body = gzipSync(Buffer.from(this.lines.join(''), 'utf8'));
    this.lines = [];
    const blob = new StagedBlobWriter(this.target.container.getBlockBlobClient(path), { contentType: 'application/gzip' });
    await blob.write(body);
    const committed = await blob.commit();
    this.files.push({ path, rows, bytes: committed.bytes, md5: committed.md5 });
  }
}
