import type { Column, OutputType } from '../../spec/columns.js';
import type { ByteSink } from '../formatWriter.js';
import { float32Text, float64Text, textForm, type TextForm } from '../textForms.js';
import { TextFileWriter } from '../textFileWriter.js';

/**
 * JSON Lines: one object per row, keys in column order, `\n` after every line, UTF-8. NULL is
 * null. Integers of every width are JSON numbers with their exact digits (written from the bigint,
 * never through a double); decimals are strings, exact with their scale, because most JSON readers
 * parse numbers as doubles; NaN and the infinities, which JSON numbers cannot spell, are the
 * strings "NaN", "Infinity", "-Infinity", and -0 is `-0.0`; json columns are embedded as JSON
 * values (so a document that is the JSON literal null reads back like NULL); binary is base64;
 * everything else is a string in the shared text forms (textForms.ts).
 */
export class JsonLinesFileWriter extends TextFileWriter {
  /** `{"name":` and `,"name":`, built once. */
  private readonly keys: string[];

  constructor(columns: Column[], gzip: boolean, sink: ByteSink) {
    super(columns, columns.map((column) => jsonForm(column.type)), 'JSON Lines', gzip, sink);
    this.keys = columns.map((column, index) => `${index === 0 ? '{' : ','}${JSON.stringify(column.name)}:`);
  }

  protected line(row: unknown[]): string {
    const { keys } = this;
    let line = keys.length === 0 ? '{' : '';
    for (let c = 0; c < keys.length; c++) {
      const value = row[c];
      line += keys[c]!;
      line += value === null || value === undefined ? 'null' : this.field(c, value);
    }
    return line + '}\n';
  }
}

const lineBreaks = /[\r\n]/g;

function jsonForm(type: OutputType): TextForm {
  switch (type.kind) {
    case 'int16':
    case 'int32':
    case 'int64':
    case 'uint64':
      return (value) => String(value);
    case 'float32': return (value) => jsonNumber(float32Text(value as number));
    case 'float64': return (value) => jsonNumber(float64Text(value as number));
    case 'boolean': return (value) => (value ? 'true' : 'false');
    case 'string': return (value) => JSON.stringify(value as string);
    case 'json':
      // A JSON document can hold a raw line break only as whitespace between tokens (inside a
      // string it must be escaped), so turning it into a space keeps the document and the line.
      // The text is not re-serialized, which would round big numbers through doubles.
      return (value) => {
        const text = value as string;
        if (text.length === 0) throw new Error('an empty string is not a JSON document');
        return text.includes('\n') || text.includes('\r') ? text.replace(lineBreaks, ' ') : text;
      };
    default: {
      // Decimal, uuid, binary (base64) and the temporal forms are plain ASCII with no quote or
      // backslash, so they need quotes but no escaping.
      const form = textForm(type);
      return (value) => `"${form(value)}"`;
    }
  }
}

function jsonNumber(text: string): string {
  if (text === 'NaN' || text === 'Infinity' || text === '-Infinity') return `"${text}"`;
  // Many parsers (DuckDB, Python) read `-0` as the integer 0 and lose the sign; `-0.0` is a float.
  return text === '-0' ? '-0.0' : text;
}
