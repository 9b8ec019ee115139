/**
 * PRELOGIN and LOGIN7 for the SQL Server test double (MS-TDS 2.2.6.4 and 2.2.6.3).
 */

export const PreloginOption = { version: 0x00, encryption: 0x01, instOpt: 0x02, threadId: 0x03, mars: 0x04, fedAuthRequired: 0x06, terminator: 0xff } as const;
export const Encryption = { off: 0x00, on: 0x01, notSupported: 0x02, required: 0x03 } as const;

export type Prelogin = { version?: Buffer; encryption?: number; fedAuthRequired?: number; options: number[] };

/** Options are a table of `token:u8 offset:u16be length:u16be` entries ended by 0xFF, then their data. */
export function parsePrelogin(payload: Buffer): Prelogin {
  const result: Prelogin = { options: [] };
  let offset = 0;
  while (offset < payload.length && payload[offset] !== PreloginOption.terminator) {
    const token = payload[offset]!;
    const dataOffset = payload.readUInt16BE(offset + 1);
    const length = payload.readUInt16BE(offset + 3);
    const data = payload.subarray(dataOffset, dataOffset + length);
    result.options.push(token);
    if (token === PreloginOption.version) result.version = Buffer.from(data);
    if (token === PreloginOption.encryption && length > 0) result.encryption = data[0];
    if (token === PreloginOption.fedAuthRequired && length > 0) result.fedAuthRequired = data[0];
    offset += 5;
  }
  return result;
}

/** The server's answer: version 16.0.1000 (SQL Server 2022), encryption not supported, no MARS. */
export function preloginResponse(): Buffer {
  const version = Buffer.from([16, 0, 0x03, 0xe8, 0, 0]);
  const options: Array<[number, Buffer]> = [
    [PreloginOption.version, version],
    [PreloginOption.encryption, Buffer.from([Encryption.notSupported])],
    [PreloginOption.instOpt, Buffer.from([0])],
    [PreloginOption.threadId, Buffer.alloc(0)],
    [PreloginOption.mars, Buffer.from([0])],
  ];
  const table = Buffer.alloc(options.length * 5 + 1);
  let dataOffset = table.length;
  options.forEach(([token, data], i) => {
    table[i * 5] = token;
    table.writeUInt16BE(dataOffset, i * 5 + 1);
    table.writeUInt16BE(data.length, i * 5 + 3);
    dataOffset += data.length;
  });
  table[table.length - 1] = PreloginOption.terminator;
  return Buffer.concat([table, ...options.map(([, data]) => data)]);
}

export type Login7 = {
  tdsVersion: number;
  packetSize: number;
  clientPid: number;
  optionFlags1: number;
  optionFlags2: number;
  typeFlags: number;
  optionFlags3: number;
  hostName: string;
  userName: string;
  password: string;
  appName: string;
  serverName: string;
  libraryName: string;
  language: string;
  database: string;
  /** Feature id -> data, from the FeatureExt block (e.g. 0x0A UTF-8 support, 0x02 FEDAUTH). */
  features: Map<number, Buffer>;
  /** Windows (SSPI) authentication was asked for. */
  integratedSecurity: boolean;
};

/**
 * The password travels obfuscated, not encrypted: each byte of its UTF-16LE form had its nibbles
 * swapped and was XORed with 0xA5. This undoes that.
 */
export function unscramblePassword(scrambled: Buffer): string {
  const bytes = Buffer.alloc(scrambled.length);
  for (let i = 0; i < scrambled.length; i++) {
    const b = scrambled[i]! ^ 0xa5;
    bytes[i] = ((b & 0x0f) << 4) | (b >> 4);
  }
  return bytes.toString('utf16le');
}

/** The reverse, for tests that build a LOGIN7 by hand. */
export function scramblePassword(password: string): Buffer {
  const bytes = Buffer.from(password, 'utf16le');
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    bytes[i] = (((b & 0x0f) << 4) | (b >> 4)) ^ 0xa5;
  }
  return bytes;
}

const fixedLength = 94;

/**
 * LOGIN7: a 94-byte fixed part (length, TDS version, packet size, client ids, flags, time zone,
 * LCID), then `offset:u16le count:u16le` pairs pointing (from the start of the payload) at the
 * UTF-16LE host name, user, password, app, server, extension, library, language, database, the
 * 6-byte client id, SSPI, attach-file and change-password.
 */
export function parseLogin7(payload: Buffer): Login7 {
  if (payload.length < fixedLength) throw new Error(`LOGIN7 of ${payload.length} bytes is shorter than its fixed part`);
  const text = (at: number): string => {
    const offset = payload.readUInt16LE(at);
    const chars = payload.readUInt16LE(at + 2);
    return payload.toString('utf16le', offset, offset + chars * 2);
  };
  const optionFlags3 = payload[27]!;
  const passwordOffset = payload.readUInt16LE(44);
  const passwordChars = payload.readUInt16LE(46);
  const features = new Map<number, Buffer>();
  if (optionFlags3 & 0x10) {
    const pointerAt = payload.readUInt16LE(56);
    const featureOffset = payload.readUInt32LE(pointerAt);
    let offset = featureOffset;
    while (offset < payload.length && payload[offset] !== 0xff) {
      const id = payload[offset]!;
      const length = payload.readUInt32LE(offset + 1);
      features.set(id, Buffer.from(payload.subarray(offset + 5, offset + 5 + length)));
      offset += 5 + length;
    }
  }
  return {
    tdsVersion: payload.readUInt32LE(4),
    packetSize: payload.readUInt32LE(8),
    clientPid: payload.readUInt32LE(16),
    optionFlags1: payload[24]!,
    optionFlags2: payload[25]!,
    typeFlags: payload[26]!,
    optionFlags3,
    hostName: text(36),
    userName: text(40),
    password: unscramblePassword(payload.subarray(passwordOffset, passwordOffset + passwordChars * 2)),
    appName: text(48),
    serverName: text(52),
    libraryName: text(60),
    language: text(64),
    database: text(68),
    features,
    integratedSecurity: (payload[25]! & 0x80) !== 0,
  };
}
