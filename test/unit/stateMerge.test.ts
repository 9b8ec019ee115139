import { describe, expect, it } from 'vitest';
import { StateMerge, type StateRecord } from '../../src/capture/stateMerge.js';
import { compareKeys, inStateRange, keyText, parseKeyText, rangesOverlap } from '../../src/capture/stateKeys.js';
import { stateIndexOf, stateRangeOf } from '../../src/capture/stateFiles.js';
import type { ChangeType } from '../../src/capture/changeColumns.js';

/** The old state served in batches of `size`, as the state files are read. */
async function* batches(records: StateRecord[], size: number): AsyncGenerator<StateRecord[]> {
  for (let i = 0; i < records.length; i += size) yield records.slice(i, i + size);
}

const state = (entries: Array<[number, string]>): StateRecord[] => entries.map(([key, hash]) => ({ key: [BigInt(key)], hash }));

async function diff(old: StateRecord[], read: Array<[number, string]>, batchSize = 2): Promise<string[]> {
  const merge = new StateMerge(batches(old, batchSize), 'test');
  const changes: string[] = [];
  const emit = (type: ChangeType, key: bigint[]) => changes.push(`${type} ${keyText(key)}`);
  for (const [key, hash] of read) await merge.add([BigInt(key)], hash, emit);
  await merge.finish(emit);
  return changes;
}

describe('the sorted-state merge', () => {
  it('finds inserts, updates and deletes, in key order, whatever the batch size', async () => {
    const old = state([[1, 'a'], [2, 'b'], [4, 'd'], [5, 'e'], [9, 'i']]);
    const read: Array<[number, string]> = [[2, 'b'], [3, 'c'], [4, 'D'], [6, 'f'], [9, 'i'], [10, 'j']];
    const expected = ['delete 1', 'insert 3', 'update 4', 'delete 5', 'insert 6', 'insert 10'];
    for (const size of [1, 2, 3, 100]) expect(await diff(old, read, size)).toEqual(expected);
  });

  it('deletes every old key past the last row read, and every key when nothing is read', async () => {
    const old = state([[1, 'a'], [7, 'g'], [8, 'h']]);
    expect(await diff(old, [[1, 'a']])).toEqual(['delete 7', 'delete 8']);
    expect(await diff(old, [])).toEqual(['delete 1', 'delete 7', 'delete 8']);
  });

  it('is a snapshot (every row an insert) without an old state, and empty when nothing changed', async () => {
    expect(await diff([], [[1, 'a'], [2, 'b']])).toEqual(['insert 1', 'insert 2']);
    expect(await diff(state([[1, 'a'], [2, 'b']]), [[1, 'a'], [2, 'b']])).toEqual([]);
  });

  it('compares composite keys part by part, as numbers', async () => {
    const merge = new StateMerge(batches([{ key: [1n, 10n], hash: 'x' }, { key: [2n, 1n], hash: 'y' }], 1), 'test');
    const changes: string[] = [];
    const emit = (type: ChangeType, key: bigint[]) => changes.push(`${type} ${keyText(key)}`);
    await merge.add([1n, 9n], 'n', emit);
    await merge.add([1n, 10n], 'x', emit);
    await merge.add([2n, 1n], 'z', emit);
    await merge.finish(emit);
    expect(changes).toEqual(['insert 1,9', 'update 2,1']);
    expect(compareKeys([1n, 10n], [1n, 9n])).toBe(1);
    expect(parseKeyText('1,-20')).toEqual([1n, -20n]);
  });

  // Without this check, rows in another order than the state's would pass as deletes and inserts.
  it('refuses rows that are not in ascending key order', async () => {
    const merge = new StateMerge(batches([], 1), 'Chunk 2');
    await merge.add([5n], 'a', () => undefined);
    expect(() => merge.add([5n], 'a', () => undefined)).toThrow(/Chunk 2: rows came in the order 5 then 5/);
  });
});

describe('state ranges', () => {
  it('opens the first chunk below and the last above, so keys beyond the new bounds still fall in a chunk', () => {
    expect(stateRangeOf({ kind: 'range', lower: '1', upper: '100', upperInclusive: false }, 0)).toEqual({ upper: '100' });
    expect(stateRangeOf({ kind: 'range', lower: '100', upper: '200', upperInclusive: false }, 1)).toEqual({ lower: '100', upper: '200' });
    expect(stateRangeOf({ kind: 'range', lower: '200', upper: '300', upperInclusive: true }, 2)).toEqual({ lower: '200' });
    expect(stateRangeOf({ kind: 'all' }, 0)).toEqual({});
    expect(inStateRange({ upper: '100' }, -5n)).toBe(true);
    expect(inStateRange({ lower: '100', upper: '200' }, 200n)).toBe(false);
    expect(inStateRange({ lower: '200' }, 10n ** 20n)).toBe(true);
  });

  it('picks only the old files that overlap a new chunk', () => {
    const index = stateIndexOf('r', '1', ['id'], 'f', [
      { index: 1, range: { kind: 'range', lower: '100', upper: '200', upperInclusive: false } },
      { index: 0, range: { kind: 'range', lower: '1', upper: '100', upperInclusive: false } },
      { index: 2, range: { kind: 'range', lower: '200', upper: '300', upperInclusive: true } },
    ]);
    expect(index.files.map((file) => file.path)).toEqual(['f/_change_state/part-00000.tsv.gz', 'f/_change_state/part-00001.tsv.gz', 'f/_change_state/part-00002.tsv.gz']);
    const overlapping = (range: { lower?: string; upper?: string }) => index.files.filter((file) => rangesOverlap(file, range)).map((file) => file.path.slice(-11, -7));
    expect(overlapping({ lower: '150', upper: '250' })).toEqual(['0001', '0002']);
    expect(overlapping({ upper: '100' })).toEqual(['0000']);
    expect(overlapping({ lower: '100', upper: '200' })).toEqual(['0001']);
    expect(overlapping({ lower: '5000' })).toEqual(['0002']);
    expect(overlapping({})).toEqual(['0000', '0001', '0002']);
  });
});
