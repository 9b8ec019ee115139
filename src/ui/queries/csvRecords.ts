/** One cell of a result page: its text, or null for SQL NULL. */
export type Cell = string | null;

/**
 * RFC 4180 records as Siphon's CSV writer writes them (formats/csv): a quoted field may hold
 * commas, quotes (doubled) and line breaks; an empty unquoted field is NULL and `""` the empty
 * string. The first record is the header.
 */
export function csvRecords(text: string): Cell[][] {
  const records: Cell[][] = [];
  let record: Cell[] = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  const endField = () => {
    record.push(field === '' && !wasQuoted ? null : field);
    field = '';
    wasQuoted = false;
  };
  const endRecord = () => {
    endField();
    records.push(record);
    record = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (c === '"') {
      quoted = true;
      wasQuoted = true;
    } else if (c === ',') endField();
    else if (c === '\n') endRecord();
    else if (c === '\r' && text[i + 1] === '\n') {
      endRecord();
      i++;
    } else field += c;
  }
  if (field !== '' || wasQuoted || record.length) endRecord();
  return records;
}
