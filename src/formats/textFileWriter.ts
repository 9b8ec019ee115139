import { NonRetryableError, errorMessage } from '../errors/errorTypes.js';
import type { Column } from '../spec/columns.js';
import type { ByteSink, FormatWriter } from './formatWriter.js';
import { RowList, type RowBuffer } from './rowBuffer.js';
import type { TextForm } from './textForms.js';
import { TextOutput, textPieceChars } from './textOutput.js';

/**
 * What CSV and JSON Lines share: rows become lines (the format's `line`), lines are handed to the
 * byte end in pieces of about textPieceChars, and the part of a piece not yet handed over is
 * carried to the next batch, so how the text is cut depends on the rows alone, not on batch sizes
 * (the same rows give the same gzip bytes on a retry).
 */
export abstract class TextFileWriter implements FormatWriter {
  private readonly output: TextOutput;
  private pending: string;
  private finished = false;

  protected constructor(
    protected readonly columns: Column[],
    protected readonly fields: TextForm[],
    private readonly formatName: string,
    gzip: boolean,
    sink: ByteSink,
    header = '',
  ) {
    this.output = new TextOutput(sink, gzip);
    this.pending = header;
  }

  /** One row's text, with its line end. */
  protected abstract line(row: unknown[]): string;

  /** A non-null value's text; a value the form refuses fails the chunk, naming the column. */
  protected field(column: number, value: unknown): string {
    try {
      return this.fields[column]!(value);
    } catch (err) {
      throw new NonRetryableError(`column ${this.columns[column]!.name}: ${errorMessage(err)}`);
    }
  }

  async writeRows(rows: unknown[][]): Promise<void> {
    if (this.finished) throw new Error(`${this.formatName} file already finished`);
    let text = this.pending;
    for (let r = 0; r < rows.length; r++) {
      text += this.line(rows[r]!);
      if (text.length >= textPieceChars) {
        const full = this.output.append(text);
        text = '';
        if (full) {
          this.pending = '';
          await this.output.flush();
        }
      }
    }
    this.pending = text;
  }

  writeBuffer(buffer: RowBuffer): Promise<void> {
    if (!(buffer instanceof RowList)) throw new Error('A text file is written from a row list');
    return this.writeRows(buffer.take());
  }

  async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.output.append(this.pending);
    this.pending = '';
    await this.output.end();
  }
}
