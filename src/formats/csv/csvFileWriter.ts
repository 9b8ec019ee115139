import { NonRetryableError } from '../../errors/errorTypes.js';
import type { Column } from '../../spec/columns.js';
import type { FormatWriter, ByteSink } from '../formatWriter.js';
import { textForm, type TextForm } from '../textForms.js';
import { TextOutput, textChunkChars } from '../textOutput.js';

/**
 * RFC 4180 CSV: a header row of column names, comma-separated fields, CRLF after every record
 * (the last one too), UTF-8 without a byte-order mark. Values take the shared text forms
 * (textForms.ts).
 *
 * NULL is an empty unquoted field and the empty string is `""`, so the two stay distinguishable
 * for readers that honour quoting (DuckDB with allow_quoted_nulls=false, PostgreSQL COPY, Spark
 * with emptyValue). A field is quoted when it holds `"`, `,`, CR or LF, or starts or ends with
 * whitespace, which some readers would otherwise trim; `"` inside is doubled.
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
      // Only free text can hold a delimiter, quote or edge whitespace; every other form is known-safe.
      return column.type.kind === 'string' || column.type.kind === 'json' ? (value: unknown) => csvField(form(value)) : form;
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
            throw new NonRetryableError(`column ${this.columns[c]!.name}: ${(err as Error).message}`);
          }
        }
      }
      text += line + '\r\n';
      if (text.length >= textChunkChars) {
        this.pending = '';
        await this.output.write(text);
        text = '';
      }
    }
    // Carried over to the next batch, so chunking depends on the rows alone, not on batch sizes.
    this.pending = text;
  }

  async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    const text = this.pending;
    this.pending = '';
    await this.output.write(text);
    await this.output.end();
  }
}

const needsQuotes = /[",\r\n]|^\s|\s$/;
const quote = /"/g;

export function csvField(text: string): string {
  if (text.length === 0) return '""';
  return needsQuotes.test(text) ? `"${text.replace(quote, '""')}"` : text;
}
