import { describe, expect, it } from 'vitest';
import { isLoopbackAuthority, loopbackProblem } from '../../src/local/loopbackOnly.js';

describe('isLoopbackAuthority', () => {
  it('accepts loopback names with any port', () => {
    for (const host of ['127.0.0.1', '127.0.0.1:7071', 'localhost', 'LocalHost:80', '[::1]', '[::1]:7071']) expect(isLoopbackAuthority(host), host).toBe(true);
  });

  it('refuses every other name, look-alikes included', () => {
    for (const host of ['', 'evil.example', '127.0.0.1.nip.io', 'localhost.', 'localhost.evil.example', '127.0.0.2', '0.0.0.0', '::1', '[::1', '127.0.0.1@evil', 'evil@127.0.0.1', '127.0.0.1:7071:1']) {
      expect(isLoopbackAuthority(host), host).toBe(false);
    }
  });
});

describe('loopbackProblem', () => {
  it('answers a foreign Host with 421 and a foreign Origin with 403, naming the header', () => {
    expect(loopbackProblem({ host: 'evil.example' })?.status).toBe(421);
    expect(loopbackProblem({})?.status).toBe(421);
    const origin = loopbackProblem({ host: '127.0.0.1:7071', origin: 'https://evil.example' });
    expect(origin?.status).toBe(403);
    expect(JSON.stringify(origin?.jsonBody)).toContain('Origin');
    expect(loopbackProblem({ host: '127.0.0.1:7071', origin: 'null' })?.status).toBe(403);
    expect(loopbackProblem({ host: '127.0.0.1:7071', origin: 'http://localhost:5173' })).toBeUndefined();
    expect(loopbackProblem({ host: 'localhost:7071' })).toBeUndefined();
  });
});
