import { NonRetryableError, errorMessage } from '../../errors/errorTypes.js';
import type { Column } from '../../spec/columns.js';
import type { ByteSink, FormatWriter } from '../formatWriter.js';
import { RowList, type RowBuffer } from '../rowBuffer.js';
import { textForm, type TextForm } from '../textForms.js';
import { TextOutput, textPieceChars } from '../textOutput.js';

/**
 * RFC 4180 CSV: a header row of column names, comma-separated fields, CRLF after every record
 * (the last one too), UTF-8 without a byte-order mark. Values take the shared text forms
 * (textForms.ts).
 *
 * NULL is an empty unquoted field and the empty string is `""`, so the two stay distinguishable
 * for readers that honour quoting (DuckDB with allow_quoted_nulls=false, PostgreSQL COPY, Spark
 * with emptyValue). A field is quoted when it holds `"`, `,`, CR or LF, or starts or ends with a
 * space, tab or other control character, which some readers would otherwise trim; `"` inside is
 * doubled.
 */
export class CsvFileWriter implements FormatWriter {
  private readonly output: TextOutput;
  private readonly fields: TextForm[];
  private pending: string;
  private finished = false;

  constructor(private readonly columns: Column[], gzip: boolean, sink: ByteSink) {
    this.output = new TextOutput(sink, gzip);
    this.fields = columns.map((column) => {
      const form = textForm(column.type);
      switch (column.type.kind) {
        // Only free text can hold a delimiter, quote or edge whitespace; every other form is known-safe.
        case 'string':
        case 'json':
          return (value: unknown) => csvField(form(value));
        // Empty bytes are an empty base64 text, which must not read back as NULL.
        case 'binary':
          return (value: unknown) => form(value) || '""';
        default:
          return form;
      }
    });
    this.pending = columns.map((column) => csvField(column.name)).join(',') + '\r\n';
  }

  async writeRows(rows: unknown[][]): Promise<void> {
    if (this.finished) throw new Error('CSV file already finished');
    const fields = this.fields;
    const width = fields.length;
    let text = this.pending;
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      let line = '';
      for (let c = 0; c < width; c++) {
        const value = row[c];
        if (c > 0) line += ',';
        if (value !== null && value !== undefined) {
          try {
            line += fields[c]!(value);
          } catch (err) {
            throw new NonRetryableError(`column ${this.columns[c]!.name}: ${errorMessage(err)}`);
          }
        }
      }
      text += line + '\r\n';
      if (text.length >= textPieceChars) {
        const full = this.output.append(text);
        text = '';
        if (full) {
          this.pending = '';
          await this.output.flush();
        }
      }
    }
    // Carried over to the next batch, so chunking depends on the rows alone, not on batch sizes.
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

const special = /[",\r\n]/;
const quote = /"/g;

export function csvField(text: string): string {
  const length = text.length;
  if (length === 0) return '""';
  // Edge whitespace (space, tab, any control character) is checked by code, not by a regex
  // anchored at both ends, which costs a scan per alternative.
  if (text.charCodeAt(0) > 32 && text.charCodeAt(length - 1) > 32 && !special.test(text)) return text;
  return `"${text.replace(quote, '""')}"`;
}
