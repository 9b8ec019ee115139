/**
 * Rows gathered for the next write, in the form the format encodes from: for Parquet the values
 * are copied into typed arrays as they are added (so the rows themselves can be collected at
 * once and a group takes a fraction of the memory), for text formats the rows are kept.
 * `add` checks each value and names the column of one that cannot be written.
 */
export interface RowBuffer {
  readonly rows: number;
  add(row: unknown[]): void;
}

/** Rows kept as they are, for the text formats. */
export class RowList implements RowBuffer {
  private list: unknown[][] = [];

  get rows(): number {
    return this.list.length;
  }

  add(row: unknown[]): void {
    this.list.push(row);
  }

  take(): unknown[][] {
    const rows = this.list;
    this.list = [];
    return rows;
  }
}
