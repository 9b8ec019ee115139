import { ByteSink, serverCollation, typeInfo, writeNull, writeValue, type SqlType } from './sqlTypes.js';

/**
 * Token-stream writers for the SQL Server test double (MS-TDS 2.2.7): each returns the bytes of
 * one token as the server sends it inside a TABULAR_RESULT message.
 */

export const Token = {
  colMetadata: 0x81, order: 0xa9, error: 0xaa, info: 0xab, returnStatus: 0x79, loginAck: 0xad, featureExtAck: 0xae,
  row: 0xd1, nbcRow: 0xd2, envChange: 0xe3, done: 0xfd, doneProc: 0xfe, doneInProc: 0xff,
} as const;

export const DoneStatus = { final: 0x0000, more: 0x0001, error: 0x0002, inXact: 0x0004, count: 0x0010, attention: 0x0020, serverError: 0x0100 } as const;

/** The command a DONE token reports (curCmd). */
export const Command = { none: 0x00, select: 0xc1, execute: 0xe0, setOption: 0xbe, updateStatistics: 0x00, beginTransaction: 0xd4, commitTransaction: 0xd5 } as const;

const bVarChar = (text: string) => {
  const bytes = Buffer.from(text, 'utf16le');
  return Buffer.concat([Buffer.from([text.length]), bytes]);
};

const usVarChar = (text: string) => {
  const length = Buffer.alloc(2);
  length.writeUInt16LE(text.length);
  return Buffer.concat([length, Buffer.from(text, 'utf16le')]);
};

/** DONE, DONEPROC or DONEINPROC: status, current command, and a 64-bit row count. */
export function doneToken(kind: 'done' | 'doneProc' | 'doneInProc', status: number, command: number, rowCount: number | bigint = 0): Buffer {
  const buffer = Buffer.alloc(13);
  buffer[0] = Token[kind];
  buffer.writeUInt16LE(status, 1);
  buffer.writeUInt16LE(command, 3);
  buffer.writeBigUInt64LE(BigInt(rowCount), 5);
  return buffer;
}

export type ServerMessage = { number: number; state: number; severity: number; message: string; serverName: string; procName?: string; line?: number };

/** ERROR (severity 11 and up) or INFO: number, state, class, message, server, procedure, line. */
export function messageToken(kind: 'error' | 'info', m: ServerMessage): Buffer {
  const head = Buffer.alloc(6);
  head.writeUInt32LE(m.number, 0);
  head[4] = m.state;
  head[5] = m.severity;
  const line = Buffer.alloc(4);
  line.writeUInt32LE(m.line ?? 1);
  const body = Buffer.concat([head, usVarChar(m.message), bVarChar(m.serverName), bVarChar(m.procName ?? ''), line]);
  const prefix = Buffer.alloc(3);
  prefix[0] = Token[kind];
  prefix.writeUInt16LE(body.length, 1);
  return Buffer.concat([prefix, body]);
}

/** ENVCHANGE with B_VARCHAR values (database 1, language 2, packet size 4). */
export function envChangeText(type: 1 | 2 | 4, newValue: string, oldValue: string): Buffer {
  return envChange(type, Buffer.concat([bVarChar(newValue), bVarChar(oldValue)]));
}

/** ENVCHANGE with B_VARBYTE values (SQL collation 7, reset connection 18). */
export function envChangeBytes(type: 7 | 18, newValue: Buffer, oldValue: Buffer): Buffer {
  return envChange(type, Buffer.concat([Buffer.from([newValue.length]), newValue, Buffer.from([oldValue.length]), oldValue]));
}

function envChange(type: number, data: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head[0] = Token.envChange;
  head.writeUInt16LE(data.length + 1, 1);
  head[3] = type;
  return Buffer.concat([head, data]);
}

export const collationChange = () => envChangeBytes(7, serverCollation, Buffer.alloc(0));

/** LOGINACK: interface T-SQL, the TDS version agreed, the program name and version (16.0.1000). */
export function loginAckToken(tdsVersion: number, progName = 'Microsoft SQL Server'): Buffer {
  const body = Buffer.concat([Buffer.from([1]), Buffer.from([tdsVersion >>> 24, (tdsVersion >>> 16) & 0xff, (tdsVersion >>> 8) & 0xff, tdsVersion & 0xff]), bVarChar(progName), Buffer.from([16, 0, 0x03, 0xe8])]);
  const prefix = Buffer.alloc(3);
  prefix[0] = Token.loginAck;
  prefix.writeUInt16LE(body.length, 1);
  return Buffer.concat([prefix, body]);
}

/** FEATUREEXTACK: `id:u8 length:u32 data` per feature, then 0xFF. */
export function featureExtAckToken(features: Array<[number, Buffer]>): Buffer {
  const parts: Buffer[] = [Buffer.from([Token.featureExtAck])];
  for (const [id, data] of features) {
    const head = Buffer.alloc(5);
    head[0] = id;
    head.writeUInt32LE(data.length, 1);
    parts.push(head, data);
  }
  parts.push(Buffer.from([0xff]));
  return Buffer.concat(parts);
}

export function returnStatusToken(value: number): Buffer {
  const buffer = Buffer.alloc(5);
  buffer[0] = Token.returnStatus;
  buffer.writeInt32LE(value, 1);
  return buffer;
}

export type ResultColumn = { name: string; type: SqlType; nullable: boolean };

/** COLMETADATA: count, then per column user type, flags (nullable), TYPE_INFO and name. */
export function colMetadataToken(columns: ResultColumn[]): Buffer {
  const head = Buffer.alloc(3);
  head[0] = Token.colMetadata;
  head.writeUInt16LE(columns.length, 1);
  const parts: Buffer[] = [head];
  for (const column of columns) {
    const fixed = Buffer.alloc(6);
    // UserType: 80 (TIMESTAMP) for rowversion, as SQL Server sends it; 0 for the rest.
    fixed.writeUInt32LE(column.type.name === 'timestamp' ? 0x50 : 0, 0);
    // fNullable, and usUpdateable = 2 (unknown), as for a computed result.
    fixed.writeUInt16LE((column.nullable ? 0x0001 : 0) | 0x0008, 4);
    parts.push(fixed, typeInfo(column.type, column.nullable), bVarChar(column.name));
  }
  return Buffer.concat(parts);
}

/**
 * One row, as ROW, or as NBCROW (a null bitmap, then only the non-NULL values) when it has NULLs:
 * SQL Server picks the shorter form per row; both must decode alike.
 */
export function writeRow(sink: ByteSink, columns: ResultColumn[], values: Array<string | null>): void {
  const hasNull = values.includes(null);
  if (!hasNull) {
    sink.u8(Token.row);
    for (let i = 0; i < columns.length; i++) writeValue(sink, columns[i]!.type, columns[i]!.nullable, values[i]!);
    return;
  }
  sink.u8(Token.nbcRow);
  const bitmap = Buffer.alloc(Math.ceil(columns.length / 8));
  values.forEach((value, i) => {
    if (value === null) bitmap[i >> 3]! |= 1 << (i & 7);
  });
  sink.bytes(bitmap);
  for (let i = 0; i < columns.length; i++) {
    const value = values[i];
    if (value !== null && value !== undefined) writeValue(sink, columns[i]!.type, columns[i]!.nullable, value);
  }
}

/** A row written as ROW even when it has NULLs (each NULL in its type's own form); for tests. */
export function writePlainRow(sink: ByteSink, columns: ResultColumn[], values: Array<string | null>): void {
  sink.u8(Token.row);
  columns.forEach((column, i) => {
    const value = values[i] ?? null;
    if (value === null) writeNull(sink, column.type, column.nullable);
    else writeValue(sink, column.type, column.nullable, value);
  });
}
