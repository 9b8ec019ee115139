import { describe, expect, it } from 'vitest';
import { runRowKey } from '../../src/store/runStore.js';

describe('runRowKey', () => {
  it('prefixes the id with its time digits inverted (9 - d)', () => {
    // 20261121163000 -> 79738878836999
    expect(runRowKey('20261121T163000Z-1a2b3c4d')).toBe('79738878836999-20261121T163000Z-1a2b3c4d');
  });

  it('is deterministic and distinct per run id', () => {
    expect(runRowKey('20261121T163000Z-1a2b3c4d')).toBe(runRowKey('20261121T163000Z-1a2b3c4d'));
    expect(runRowKey('20261121T163000Z-1a2b3c4d')).not.toBe(runRowKey('20261121T163000Z-ffffffff'));
  });

  it('sorts newer runs before older runs lexicographically', () => {
    const newestFirst = [
      '21000101T000000Z-00000000',
      '20270101T000000Z-9abcdef0',
      '20261231T235959Z-11111111',
      '20261121T163001Z-aaaaaaaa',
      '20261121T163000Z-1a2b3c4d',
      '20261121T090000Z-ffffffff',
      '20261120T235959Z-00000000',
      '20261021T163000Z-12345678',
      '20260101T000000Z-00000000',
      '20251231T235959Z-ffffffff',
      '19991231T235959Z-00000000',
    ];
    const shuffled = [...newestFirst].reverse();
    shuffled.push(shuffled.splice(3, 1)[0]!);
    const sorted = shuffled.map((id) => ({ id, key: runRowKey(id) })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    expect(sorted.map((s) => s.id)).toEqual(newestFirst);
  });

  it('orders every adjacent pair of a one-second step newest first', () => {
    const older = runRowKey('20261121T235959Z-00000000');
    const newer = runRowKey('20261122T000000Z-00000000');
    expect(newer < older).toBe(true);
  });
});
