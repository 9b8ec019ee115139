import { describe, expect, it } from 'vitest';
import { freePorts, isPortFree } from '../../src/local/freePort.js';

describe('freePorts', () => {
  it('gives different ports, each free to listen on once returned', async () => {
    for (let round = 0; round < 20; round++) {
      const ports = await freePorts(3);
      expect(new Set(ports).size).toBe(3);
      for (const port of ports) expect(await isPortFree(port)).toBe(true);
    }
  });
});
