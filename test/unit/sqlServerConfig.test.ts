import { createRequire } from 'node:module';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { describe, expect, it, vi } from 'vitest';
import { NonRetryableError } from '../../src/errors/errorTypes.js';
import { mssqlTypeOf, serverLabel, sqlServerConfig, sqlServerError, type SqlServerSource } from '../../src/sources/sqlserver/sqlServerConnector.js';
import { thrown } from '../support/thrown.js';

const mssql = createRequire(import.meta.url)('mssql') as Record<string, unknown> & { DateTime2: (scale: number) => unknown };

const secret = 'S3cr;et"Pa55';
const sqlAuth: SqlServerSource = { authentication: 'sql', encrypt: true, trustServerCertificate: false, packetSize: 32_767 };
const entraId: SqlServerSource = { ...sqlAuth, authentication: 'entraId' };
const azure = 'Server=tcp:siphon-demo.database.windows.net,1433;Database=sales;User Id=siphon_reader;Password={S3cr;et"Pa55};';
const fakeCredential: TokenCredential = { getToken: async () => ({ token: 't', expiresOnTimestamp: Date.now() + 60_000 }) };

describe('sqlServerConfig: SQL authentication', () => {
  it('builds the mssql config from an ADO.NET connection string and the spec', () => {
    const config = sqlServerConfig(azure, sqlAuth);
    expect(config).toEqual({
      server: 'siphon-demo.database.windows.net',
      port: 1433,
      database: 'sales',
      user: 'siphon_reader',
      password: secret,
      connectionTimeout: 30_000,
      requestTimeout: 3_600_000,
      pool: { max: 1, min: 0 },
      options: { encrypt: true, trustServerCertificate: false, packetSize: 32_767, useUTC: true, appName: 'siphon', lowerCaseGuids: true },
    });
    expect(config.authentication).toBeUndefined();
  });

  it('takes encrypt, trustServerCertificate and packetSize from the spec, whatever the string says', () => {
    const config = sqlServerConfig(`${azure}Encrypt=true;TrustServerCertificate=false;Packet Size=512`, { ...sqlAuth, encrypt: false, trustServerCertificate: true, packetSize: 4096 });
    expect(config.options).toMatchObject({ encrypt: false, trustServerCertificate: true, packetSize: 4096, useUTC: true, appName: 'siphon' });
  });

  it('understands the usual aliases, a named instance and a custom port', () => {
    const named = sqlServerConfig('Data Source=sqlhost\\REPORTING;Initial Catalog=dw;UID=etl;PWD=pw', sqlAuth);
    expect(named).toMatchObject({ server: 'sqlhost', database: 'dw', user: 'etl', password: 'pw', options: { instanceName: 'REPORTING' } });
    expect(named.port).toBeUndefined();
    expect(sqlServerConfig('Server=10.0.0.5,14330;Database=x;User Id=u;Password=p', sqlAuth)).toMatchObject({ server: '10.0.0.5', port: 14330 });
  });

  it('keeps the connect timeout, ApplicationIntent=ReadOnly in any case, and MultiSubnetFailover', () => {
    const config = sqlServerConfig(`${azure}Connect Timeout=45;ApplicationIntent=ReadOnly;MultiSubnetFailover=True`, sqlAuth);
    expect(config.connectionTimeout).toBe(45_000);
    expect(config.options.readOnlyIntent).toBe(true);
    expect(config.options.multiSubnetFailover).toBe(true);
    expect(sqlServerConfig(`${azure}Application Intent=readonly`, sqlAuth).options.readOnlyIntent).toBe(true);
    expect(sqlServerConfig(`${azure}ApplicationIntent=ReadWrite`, sqlAuth).options.readOnlyIntent).toBeUndefined();
    expect(sqlServerConfig(azure, sqlAuth).options.readOnlyIntent).toBeUndefined();
  });

  it('refuses a string without user, password or server, and Windows logins, quoting no secret', () => {
    const cases = [
      ['Server=tcp:h,1433;Database=d;Password=S3cr;et"Pa55', /no User Id/],
      ['Server=tcp:h,1433;Database=d;User Id=u', /no Password/],
      [`Database=d;User Id=u;Password={${secret}}`, /names no server/],
      [`Server=h;User Id=CORP\\svc;Password={${secret}}`, /Windows authentication/],
      ['', /names no server/],
    ] as const;
    for (const [connectionString, message] of cases) {
      const err = thrown(() => sqlServerConfig(connectionString, sqlAuth));
      expect(err).toBeInstanceOf(NonRetryableError);
      expect(err.message).toMatch(message);
      expect(err.message).not.toContain('S3cr');
      expect(err.message).not.toMatch(/Password\s*=/i);
    }
  });
});

describe('sqlServerConfig: Entra ID', () => {
  it('authenticates with a token credential and sends no user or password', () => {
    const factory = vi.fn(() => fakeCredential);
    const config = sqlServerConfig('Server=tcp:siphon-demo.database.windows.net,1433;Database=sales', entraId, factory);
    expect(config.authentication).toEqual({ type: 'token-credential', options: { credential: fakeCredential } });
    expect(config.user).toBeUndefined();
    expect(config.password).toBeUndefined();
    expect(config.options).toMatchObject({ encrypt: true, trustServerCertificate: false, packetSize: 32_767 });
    expect(factory).toHaveBeenCalledWith(undefined);
  });

  it('uses DefaultAzureCredential by default', () => {
    const config = sqlServerConfig('Server=tcp:h.database.windows.net,1433;Database=d', entraId);
    expect(config.authentication?.options.credential).toBeInstanceOf(DefaultAzureCredential);
  });

  it('reads User Id as the client id of a user-assigned managed identity', () => {
    const factory = vi.fn(() => fakeCredential);
    sqlServerConfig('Server=tcp:h,1433;Database=d;User Id=1F1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D', entraId, factory);
    expect(factory).toHaveBeenCalledWith('1F1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D');
    const err = thrown(() => sqlServerConfig('Server=tcp:h,1433;Database=d;User Id=siphon_reader', entraId, factory));
    expect(err).toBeInstanceOf(NonRetryableError);
    expect(err.message).toMatch(/client id/);
  });

  it('refuses a password it would not use, without quoting it', () => {
    const err = thrown(() => sqlServerConfig(azure, entraId, () => fakeCredential));
    expect(err).toBeInstanceOf(NonRetryableError);
    expect(err.message).toMatch(/holds a password, but the source uses entraId/);
    expect(err.message).toContain('siphon-demo.database.windows.net');
    expect(err.message).not.toContain('S3cr');
  });
});

describe('serverLabel', () => {
  it('names host and port, or instance, and database, never a credential', () => {
    expect(serverLabel(sqlServerConfig(azure, sqlAuth))).toBe('SQL Server siphon-demo.database.windows.net,1433/sales');
    expect(serverLabel(sqlServerConfig('Server=h\\INST;User Id=u;Password=p', sqlAuth))).toBe('SQL Server h\\INST');
  });
});

describe('sqlServerError', () => {
  const label = 'SQL Server h,1433/sales';

  it('names the server and scrubs secrets out of the message', () => {
    const err = sqlServerError(new Error(`Failed to connect using Server=h;Password=${secret}`), label);
    expect(err.message.startsWith(`${label}: `)).toBe(true);
    expect(err.message).not.toContain('S3cr');
    expect(err).not.toBeInstanceOf(NonRetryableError);
  });

  it('makes errors no retry can fix non-retryable', () => {
    const invalidObject = Object.assign(new Error("Invalid object name 'sales.orderz'."), { number: 208 });
    expect(sqlServerError(invalidObject, label)).toBeInstanceOf(NonRetryableError);
    const permission = Object.assign(new Error('The SELECT permission was denied'), { number: 229 });
    expect(sqlServerError(permission, label)).toBeInstanceOf(NonRetryableError);
    const login = Object.assign(new Error("Login failed for user 'siphon_reader'."), { code: 'ELOGIN' });
    expect(sqlServerError(login, label)).toBeInstanceOf(NonRetryableError);
  });

  it('leaves transient failures retryable', () => {
    const paused = Object.assign(new Error('Database is not currently available. Please retry the connection later.'), { code: 'ELOGIN', number: 40613 });
    expect(sqlServerError(paused, label)).not.toBeInstanceOf(NonRetryableError);
    const socket = Object.assign(new Error('Connection lost - read ECONNRESET'), { code: 'ESOCKET' });
    expect(sqlServerError(socket, label)).not.toBeInstanceOf(NonRetryableError);
    const deadlock = Object.assign(new Error('Transaction was deadlocked'), { number: 1205 });
    expect(sqlServerError(deadlock, label)).not.toBeInstanceOf(NonRetryableError);
  });
});

describe('mssqlTypeOf', () => {
  it('declares each parameter with the mssql type the dialect asks for', () => {
    const date = Object.assign(new Date(0), { nanosecondDelta: 0 });
    expect(mssqlTypeOf({ name: 'x', type: 'bigint', value: 1n })).toBe(mssql.BigInt);
    expect(mssqlTypeOf({ name: 'x', type: 'int', value: 1 })).toBe(mssql.Int);
    expect(mssqlTypeOf({ name: 'x', type: 'date', value: new Date(0) })).toBe(mssql.Date);
    expect(mssqlTypeOf({ name: 'x', type: 'datetime2', scale: 7, value: date })).toEqual({ type: mssql.DateTime2, scale: 7 });
    expect(mssqlTypeOf({ name: 'x', type: 'datetimeoffset', scale: 7, value: date })).toEqual({ type: mssql.DateTimeOffset, scale: 7 });
    expect(mssqlTypeOf({ name: 'x', type: 'nvarchar', length: 128, value: 's' })).toEqual({ type: mssql.NVarChar, length: 128 });
    expect(mssqlTypeOf({ name: 'x', type: 'nvarchar', length: 'max', value: 's' })).toEqual({ type: mssql.NVarChar, length: mssql.MAX });
  });
});
