import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { MessageAssembler, MessageWriter, PacketStatus, PacketType, packetsOf } from '../support/tds-server/packets.js';

/** Packet framing of the TDS test double (MS-TDS 2.2.3). */

const header = (type: number, status: number, length: number, packetId: number) => [type, status, length >> 8, length & 0xff, 0, 0, packetId, 0];

describe('packetsOf', () => {
  it('splits a message into packets of the negotiated size, numbered, with EOM on the last', () => {
    const payload = Buffer.from(Array.from({ length: 20 }, (_, i) => i));
    const packets = packetsOf(PacketType.tabularResult, payload, 16);
    expect(packets.map((p) => [...p.subarray(0, 8)])).toEqual([header(4, 0, 16, 1), header(4, 0, 16, 2), header(4, 1, 12, 3)]);
    expect(Buffer.concat(packets.map((p) => p.subarray(8)))).toEqual(payload);
  });

  it('sends an empty message as one header-only packet', () => {
    expect(packetsOf(PacketType.tabularResult, Buffer.alloc(0), 512)).toEqual([Buffer.from(header(4, 1, 8, 1))]);
  });
});

describe('MessageAssembler', () => {
  it('joins a message split over packets and over arbitrary socket chunks', () => {
    const text = Buffer.from('SELECT 1'.repeat(100), 'utf16le');
    const wire = Buffer.concat(packetsOf(PacketType.sqlBatch, text, 512));
    const assembler = new MessageAssembler();
    const messages = [];
    for (let i = 0; i < wire.length; i += 7) messages.push(...assembler.push(wire.subarray(i, i + 7)));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ type: PacketType.sqlBatch, ignored: false, resetConnection: false });
    expect(messages[0]!.payload).toEqual(text);
  });

  it('reads several messages from one chunk, an ATTENTION among them, and the reset and ignore flags', () => {
    const first = packetsOf(PacketType.rpcRequest, Buffer.from([1, 2, 3]), 512)[0]!;
    first[1] = PacketStatus.eom | PacketStatus.resetConnection;
    const attention = packetsOf(PacketType.attention, Buffer.alloc(0), 512)[0]!;
    const cancelled = packetsOf(PacketType.sqlBatch, Buffer.from([9]), 512)[0]!;
    cancelled[1] = PacketStatus.eom | PacketStatus.ignore;
    const messages = new MessageAssembler().push(Buffer.concat([first, attention, cancelled]));
    expect(messages.map((m) => [m.type, m.resetConnection, m.ignored, [...m.payload]])).toEqual([
      [PacketType.rpcRequest, true, false, [1, 2, 3]],
      [PacketType.attention, false, false, []],
      [PacketType.sqlBatch, false, true, [9]],
    ]);
  });

  it('refuses a packet whose length is shorter than its header', () => {
    expect(() => new MessageAssembler().push(Buffer.from([1, 1, 0, 4, 0, 0, 1, 0]))).toThrow(/shorter than its header/);
  });
});

/** A socket whose buffer is "full" after `room` writes, until drain() is called. */
class FakeSocket extends EventEmitter {
  written: Buffer[] = [];
  destroyed = false;
  constructor(private room: number) {
    super();
  }
  write(data: Buffer): boolean {
    this.written.push(Buffer.from(data));
    return --this.room > 0;
  }
  drain(room: number): void {
    this.room = room;
    this.emit('drain');
  }
}

describe('MessageWriter', () => {
  it('writes full packets as tokens fill them and the last with EOM, each in its own buffer', () => {
    const socket = new FakeSocket(100);
    const writer = new MessageWriter(socket as unknown as Socket, 12, 51);
    writer.write(Buffer.from([1, 2, 3]));
    writer.write(Buffer.from([4, 5, 6, 7, 8]));
    // A full packet goes out once more bytes follow (the last one must carry EOM).
    expect(socket.written).toHaveLength(1);
    writer.write(Buffer.from([9]));
    writer.end();
    expect(socket.written.map((p) => [...p])).toEqual([
      [4, 0, 0, 12, 0, 51, 1, 0, 1, 2, 3, 4],
      [4, 0, 0, 12, 0, 51, 2, 0, 5, 6, 7, 8],
      [4, 1, 0, 9, 0, 51, 3, 0, 9],
    ]);
    expect(writer.bytesWritten).toBe(33);
  });

  it('tells the producer to wait while the socket is full, and when it drains', async () => {
    const socket = new FakeSocket(1);
    const writer = new MessageWriter(socket as unknown as Socket, 9, 1);
    writer.write(Buffer.from([1, 2]));
    expect(writer.needsDrain).toBe(true);
    let resumed = false;
    const waiting = writer.drained().then(() => {
      resumed = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(resumed).toBe(false);
    socket.drain(10);
    await waiting;
    expect(writer.needsDrain).toBe(false);
  });
});
