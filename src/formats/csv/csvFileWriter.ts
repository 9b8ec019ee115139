import type { Column } from '../../spec/columns.js';
import type { ByteSink } from '../formatWriter.js';
import { textForm } from '../textForms.js';
import { TextFileWriter } from '../textFileWriter.js';

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
export class CsvFileWriter extends TextFileWriter {
  constructor(columns: Column[], gzip: boolean, sink: ByteSink) {
    const fields = columns.map((column) => {
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
    super(columns, fields, 'CSV', gzip, sink, columns.map((column) => csvField(column.name)).join(',') + '\r\n');
  }

  protected line(row: unknown[]): string {
    let line = '';
    for (let c = 0; c < this.fields.length; c++) {
      const value = row[c];
      if (c > 0) line += ',';
      if (value !== null && value !== undefined) line += this.field(c, value);
    }
    return line + '\r\n';
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
