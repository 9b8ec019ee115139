/**
 * One field's bytes, `buffer[start, end)`, as its canonical value (see formats/canonicalValues.ts).
 * The buffer is reused once the call returns: a decoder that keeps bytes copies them.
 */
export type FieldDecoder = (buffer: Buffer, start: number, end: number) => unknown;

/** `PGCOPY\n\377\r\n\0`, then int32 flags and the int32 length of the header extension. */
const signature = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const headerBytes = signature.length + 8;
/** Flag bit 16: every tuple carries its OID (never asked for). Bits 17-31 are critical: unknown ones must be refused. */
const criticalFlags = 0xffff0000;

const enum Stage { header, extension, tuple, length, value, done }

/**
 * PostgreSQL's binary COPY format (the file format of COPY ... (FORMAT binary), sent as the
 * CopyData of COPY TO STDOUT), decoded as it streams: an 11-byte signature, flags and a header
 * extension; then per tuple an int16 field count and per field an int32 length (-1 for NULL) and
 * that many bytes; then the trailer, a field count of -1.
 *
 * Chunks arrive as the socket delivers them, so a tuple, a field or even a length can straddle
 * two of them. Whatever lies wholly in a chunk is decoded in place; only the one item that
 * straddles (a length, or a field's bytes) is carried over, copied into a buffer of its own size.
 */
export class BinaryCopyDecoder {
  private stage = Stage.header;
  /** Bytes the current item takes: the header, its extension, a field count (2), a length (4), a field's bytes. */
  private need = headerBytes;
  /** The start of the current item, when it arrived in earlier chunks. */
  private carry: Buffer = Buffer.alloc(headerBytes);
  private carried = 0;
  private row: unknown[] = [];
  private field = 0;

  constructor(private readonly fields: FieldDecoder[]) {}

  /** Decodes every tuple that `chunk` completes, appending it to `rows`. */
  push(chunk: Buffer, rows: unknown[][]): void {
    let at = 0;
    if (this.carried > 0) {
      at = Math.min(this.need - this.carried, chunk.length);
      chunk.copy(this.carry, this.carried, 0, at);
      this.carried += at;
      if (this.carried < this.need) return;
      this.carried = 0;
      this.item(this.carry, 0, rows);
    }
    this.decode(chunk, at, rows);
  }

  /** Called when the stream ended: anything short of the trailer means the data was cut. */
  end(): void {
    if (this.stage !== Stage.done) throw new Error('The COPY data ended before its trailer');
  }

  private decode(buffer: Buffer, start: number, rows: unknown[][]): void {
    const fields = this.fields;
    const count = fields.length;
    const end = buffer.length;
    let at = start;
    for (;;) {
      if (this.stage === Stage.length) {
        // The hot loop: the fields (length and bytes) that lie wholly in this chunk.
        const row = this.row;
        let field = this.field;
        while (field < count && end - at >= 4) {
          const length = buffer.readInt32BE(at);
          if (length < 0) {
            row[field++] = null;
            at += 4;
          } else if (end - at - 4 >= length) {
            row[field] = fields[field]!(buffer, at + 4, at + 4 + length);
            field++;
            at += 4 + length;
          } else {
            break;
          }
        }
        this.field = field;
        if (field === count) {
          rows.push(row);
          // The next tuple's field count, read here in the common case rather than as an item.
          if (end - at >= 2 && buffer.readInt16BE(at) === count) {
            at += 2;
            this.row = new Array<unknown>(count);
            this.field = 0;
            continue;
          }
          this.stage = Stage.tuple;
          this.need = 2;
        }
      }
      if (this.stage === Stage.done) {
        if (at < end) throw new Error(`The COPY data goes on for ${end - at} bytes after its trailer`);
        return;
      }
      if (end - at < this.need) {
        // The item straddles into the next chunk: keep its start (a few bytes, or one field's).
        if (this.carry.length < this.need) this.carry = Buffer.allocUnsafe(this.need);
        this.carried = buffer.copy(this.carry, 0, at, end);
        return;
      }
      const need = this.need;
      this.item(buffer, at, rows);
      at += need;
    }
  }

  /** Consumes the current item, whole at `buffer[at]`, and sets up the next. */
  private item(buffer: Buffer, at: number, rows: unknown[][]): void {
    switch (this.stage) {
      case Stage.header: {
        if (!buffer.subarray(at, at + signature.length).equals(signature)) throw new Error('The COPY data does not start with the binary COPY signature');
        const flags = buffer.readUInt32BE(at + signature.length);
        if ((flags & criticalFlags) !== 0) throw new Error(`The COPY data has header flags Siphon does not read (0x${flags.toString(16)})`);
        this.stage = Stage.extension;
        this.need = buffer.readUInt32BE(at + signature.length + 4);
        return;
      }
      case Stage.extension:
        this.stage = Stage.tuple;
        this.need = 2;
        return;
      case Stage.tuple: {
        const count = buffer.readInt16BE(at);
        if (count === -1) {
          this.stage = Stage.done;
          this.need = 0;
          return;
        }
        if (count !== this.fields.length) throw new Error(`The COPY data has a row of ${count} fields where ${this.fields.length} were selected`);
        this.row = new Array<unknown>(count);
        this.field = 0;
        this.nextField(rows);
        return;
      }
      case Stage.length: {
        const length = buffer.readInt32BE(at);
        if (length >= 0) {
          this.stage = Stage.value;
          this.need = length;
          return;
        }
        this.row[this.field++] = null;
        this.nextField(rows);
        return;
      }
      case Stage.value:
        this.row[this.field] = this.fields[this.field]!(buffer, at, at + this.need);
        this.field++;
        this.nextField(rows);
        return;
      case Stage.done:
        throw new Error('The COPY data goes on after its trailer');
    }
  }

  /** After a field (or a tuple's start): the next field's length, or the next tuple when the row is whole. */
  private nextField(rows: unknown[][]): void {
    if (this.field < this.fields.length) {
      this.stage = Stage.length;
      this.need = 4;
      return;
    }
    rows.push(this.row);
    this.stage = Stage.tuple;
    this.need = 2;
  }
}
