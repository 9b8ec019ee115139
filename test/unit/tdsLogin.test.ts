import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Encryption, parseLogin7, parsePrelogin, preloginResponse, scramblePassword, unscramblePassword } from '../support/tds-server/login.js';

/** PRELOGIN and LOGIN7 of the TDS test double, read from bytes tedious itself builds (the tedious mssql loads). */
const require = createRequire(createRequire(import.meta.url).resolve('mssql'));
const Login7Payload = require('tedious/lib/login7-payload');
const PreloginPayload = require('tedious/lib/prelogin-payload');

describe('PRELOGIN', () => {
  it('reads the client options and answers with a version and no encryption', () => {
    const client = new PreloginPayload({ encrypt: false, version: { major: 16, minor: 7, build: 1, subbuild: 0 } });
    const parsed = parsePrelogin(client.data);
    expect(parsed.encryption).toBe(Encryption.notSupported);
    expect(parsed.fedAuthRequired).toBe(1);
    expect([...parsed.version!]).toEqual([16, 7, 0, 1, 0, 0]);
    expect(parsePrelogin(new PreloginPayload({ encrypt: true, version: { major: 1, minor: 0, build: 0, subbuild: 0 } }).data).encryption).toBe(Encryption.on);

    const answer = new PreloginPayload(preloginResponse());
    expect(answer.encryptionString).toBe('NOT_SUP');
    expect(answer.version).toEqual({ major: 16, minor: 0, build: 1000, subbuild: 0 });
    expect(answer.marsString).toBe('OFF');
  });
});

describe('LOGIN7', () => {
  it('undoes the password obfuscation: nibbles swapped, XOR 0xA5', () => {
    // "a" is 0x61 0x00 in UTF-16LE: swapped 0x16 0x00, XORed 0xB3 0xA5.
    expect([...scramblePassword('a')]).toEqual([0xb3, 0xa5]);
    expect(unscramblePassword(Buffer.from([0xb3, 0xa5]))).toBe('a');
    expect(unscramblePassword(scramblePassword('pä$s 🔑'))).toBe('pä$s 🔑');
  });

  it('reads what tedious sends: version, packet size, names, database, password and the FeatureExt block', () => {
    const payload = new Login7Payload({ tdsVersion: 0x74000004, packetSize: 32767, clientProgVer: 0, clientPid: 4321, connectionId: 0, clientTimeZone: 0, clientLcid: 0x409 });
    payload.userName = 'siphon_reader';
    payload.password = 'Rd-9f2kQ!x7';
    payload.hostname = 'worker-1';
    payload.appName = 'siphon';
    payload.serverName = '127.0.0.1';
    payload.libraryName = 'Tedious';
    payload.database = 'sales';
    const login = parseLogin7(payload.toBuffer());
    expect(login).toMatchObject({
      tdsVersion: 0x74000004, packetSize: 32767, clientPid: 4321, userName: 'siphon_reader', password: 'Rd-9f2kQ!x7', hostName: 'worker-1',
      appName: 'siphon', serverName: '127.0.0.1', libraryName: 'Tedious', database: 'sales', integratedSecurity: false,
    });
    // TDS 7.4 clients announce UTF-8 support (feature 0x0A, data 0x01).
    expect([...login.features.entries()].map(([id, data]) => [id, [...data]])).toEqual([[0x0a, [0x01]]]);
  });

  it('sees an Entra ID (FEDAUTH) login, which the test server refuses', () => {
    const payload = new Login7Payload({ tdsVersion: 0x74000004, packetSize: 4096, clientProgVer: 0, clientPid: 1, connectionId: 0, clientTimeZone: 0, clientLcid: 0x409 });
    payload.fedAuth = { type: 'ADAL', echo: false, workflow: 'integrated' };
    expect(parseLogin7(payload.toBuffer()).features.has(0x02)).toBe(true);
  });
});
