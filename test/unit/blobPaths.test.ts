import { describe, expect, it } from 'vitest';
import { manifestPath, partFilePath, runFolder, successMarkerPath } from '../../src/sink/blobPaths.js';

const runId = '20261121T163000Z-1a2b3c4d';

describe('blob paths', () => {
  it('lays out part files as <pipeline>/<yyyy>/<MM>/<dd>/run=<runId>/part-<chunk5>-<file4>.<ext>', () => {
    expect(partFilePath('orders', runId, 3, 12, 'parquet')).toBe('orders/2026/11/21/run=20261121T163000Z-1a2b3c4d/part-00003-0012.parquet');
    expect(partFilePath('orders', runId, 0, 0, 'parquet')).toBe('orders/2026/11/21/run=20261121T163000Z-1a2b3c4d/part-00000-0000.parquet');
    expect(partFilePath('orders', runId, 12345, 9999, 'parquet')).toBe('orders/2026/11/21/run=20261121T163000Z-1a2b3c4d/part-12345-9999.parquet');
  });

  it('pads month and day and uses the UTC date of the run id', () => {
    expect(runFolder('p', '20260105T000000Z-00000000')).toBe('p/2026/01/05/run=20260105T000000Z-00000000');
    expect(runFolder('p', '20261231T235959Z-00000000')).toBe('p/2026/12/31/run=20261231T235959Z-00000000');
  });

  it('puts the manifest and success marker in the run folder', () => {
    expect(manifestPath('orders', runId)).toBe('orders/2026/11/21/run=20261121T163000Z-1a2b3c4d/_manifest.json');
    expect(successMarkerPath('orders', runId)).toBe('orders/2026/11/21/run=20261121T163000Z-1a2b3c4d/_SUCCESS');
  });

  it('is pure: the same inputs give the same names', () => {
    expect(partFilePath('orders', runId, 7, 1, 'parquet')).toBe(partFilePath('orders', runId, 7, 1, 'parquet'));
    expect(runFolder('orders', runId)).toBe(runFolder('orders', runId));
  });

  it('gives distinct names to distinct chunks, files, runs and pipelines', () => {
    const names = new Set([
      partFilePath('orders', runId, 1, 0, 'parquet'),
      partFilePath('orders', runId, 0, 1, 'parquet'),
      partFilePath('orders', runId, 10, 0, 'parquet'),
      partFilePath('orders', '20261121T163000Z-1a2b3c4e', 1, 0, 'parquet'),
      partFilePath('customers', runId, 1, 0, 'parquet'),
    ]);
    expect(names.size).toBe(5);
  });
});
