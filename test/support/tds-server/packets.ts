import type { Socket } from 'node:net';

/**
 * TDS packet framing for the SQL Server test double (MS-TDS 2.2.3): every message travels as
 * packets of at most the negotiated size, each with an 8-byte header
 * `type:u8 status:u8 length:u16be spid:u16be packetId:u8 window:u8`; the last packet of a message
 * has the EOM status bit.
 */

export const PacketType = {
  sqlBatch: 0x01,
  rpcRequest: 0x03,
  tabularResult: 0x04,
  attention: 0x06,
  login7: 0x10,
  prelogin: 0x12,
} as const;

export const PacketStatus = { eom: 0x01, ignore: 0x02, resetConnection: 0x08, resetConnectionSkipTran: 0x10 } as const;

export const headerLength = 8;

/** One whole message from the client: its packets' payloads joined. */
export type Message = { type: number; payload: Buffer; ignored: boolean; resetConnection: boolean };

/**
 * Turns the bytes of a socket into messages. Packets may arrive split or several in one chunk;
 * a message ends with the packet whose status has EOM. A client may cancel a message it has not
 * finished sending by setting IGNORE on its last packet: that message comes out `ignored`.
 */
export class MessageAssembler {
  private pending: Buffer = Buffer.alloc(0);
  private parts: Buffer[] = [];
  private type: number | undefined;
  private resetConnection = false;

  push(chunk: Buffer): Message[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const messages: Message[] = [];
    while (this.pending.length >= headerLength) {
      const length = this.pending.readUInt16BE(2);
      if (length < headerLength) throw new Error(`TDS packet length ${length} is shorter than its header`);
      if (this.pending.length < length) break;
      const type = this.pending[0]!;
      const status = this.pending[1]!;
      const data = this.pending.subarray(headerLength, length);
      this.pending = this.pending.subarray(length);
      // An attention signal may arrive between the packets of nothing else, so it never joins a message.
      if (type === PacketType.attention && this.type === undefined) {
        messages.push({ type, payload: Buffer.from(data), ignored: false, resetConnection: false });
        continue;
      }
      if (this.type === undefined) {
        this.type = type;
        this.resetConnection = (status & (PacketStatus.resetConnection | PacketStatus.resetConnectionSkipTran)) !== 0;
      } else if (type !== this.type) {
        throw new Error(`TDS packet of type 0x${type.toString(16)} inside a message of type 0x${this.type.toString(16)}`);
      }
      this.parts.push(Buffer.from(data));
      if (status & PacketStatus.eom) {
        messages.push({ type: this.type, payload: Buffer.concat(this.parts), ignored: (status & PacketStatus.ignore) !== 0, resetConnection: this.resetConnection });
        this.parts = [];
        this.type = undefined;
        this.resetConnection = false;
      }
    }
    return messages;
  }
}

/** Splits one message into packets of `packetSize` bytes (header included). Used for small messages and by tests. */
export function packetsOf(type: number, payload: Buffer, packetSize: number, spid = 0): Buffer[] {
  const room = packetSize - headerLength;
  const packets: Buffer[] = [];
  let packetId = 1;
  for (let offset = 0; offset < payload.length || packets.length === 0; offset += room) {
    const data = payload.subarray(offset, offset + room);
    const last = offset + room >= payload.length;
    const packet = Buffer.alloc(headerLength + data.length);
    writeHeader(packet, type, last ? PacketStatus.eom : 0, packet.length, spid, packetId);
    data.copy(packet, headerLength);
    packets.push(packet);
    packetId = (packetId + 1) % 256;
  }
  return packets;
}

function writeHeader(packet: Buffer, type: number, status: number, length: number, spid: number, packetId: number): void {
  packet[0] = type;
  packet[1] = status;
  packet.writeUInt16BE(length, 2);
  packet.writeUInt16BE(spid, 4);
  packet[6] = packetId;
  packet[7] = 0;
}

/**
 * Writes one response message to a socket as it is produced, a packet at a time, and tells the
 * producer when to wait: `socket.write` returning false means the client is not reading (for
 * example a paused tedious request), and `drained()` resolves once it reads again. Whatever the
 * size of a result, it holds at most one packet plus what the socket already buffered.
 */
export class MessageWriter {
  private packet: Buffer;
  private position = headerLength;
  private packetId = 1;
  private blocked = false;
  private ended = false;
  /** Bytes handed to the socket for this message. */
  bytesWritten = 0;

  constructor(private readonly socket: Socket, private readonly packetSize: number, private readonly spid: number, private readonly type: number = PacketType.tabularResult) {
    this.packet = Buffer.allocUnsafe(packetSize);
  }

  write(data: Buffer): void {
    if (this.ended) throw new Error('TDS message already ended');
    let offset = 0;
    while (offset < data.length) {
      if (this.position === this.packetSize) this.flushPacket(false);
      const copied = data.copy(this.packet, this.position, offset, Math.min(data.length, offset + this.packetSize - this.position));
      this.position += copied;
      offset += copied;
    }
  }

  /** The last packet, with EOM; an empty message is one header-only packet. */
  end(): void {
    if (this.ended) return;
    this.flushPacket(true);
    this.ended = true;
  }

  get needsDrain(): boolean {
    return this.blocked && !this.socket.destroyed;
  }

  /** Resolves when the socket has room again (or is gone). */
  async drained(): Promise<void> {
    if (!this.needsDrain) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
    this.blocked = false;
  }

  /** Sends whatever is buffered as a non-final packet, e.g. before the connection is dropped on purpose. */
  flushPartial(): void {
    if (this.position > headerLength) this.flushPacket(false);
  }

  private flushPacket(last: boolean): void {
    writeHeader(this.packet, this.type, last ? PacketStatus.eom : 0, this.position, this.spid, this.packetId);
    const packet = this.packet.subarray(0, this.position);
    this.bytesWritten += packet.length;
    if (!this.socket.destroyed && !this.socket.write(packet)) this.blocked = true;
    this.packetId = (this.packetId + 1) % 256;
    // The socket keeps the buffer it was given until it is sent, so the next packet gets its own.
    this.packet = Buffer.allocUnsafe(this.packetSize);
    this.position = headerLength;
  }
}
