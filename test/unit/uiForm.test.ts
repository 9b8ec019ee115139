import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { pipelineSpecDraftSchema } from '../../src/spec/pipelineSpec.js';
import { listFromText, numberFromText, setIn } from '../../src/ui/form/draft.js';
import { issuesFromSchema, placeIssues } from '../../src/ui/form/fieldIssues.js';
import { pipelineFieldPaths, pipelineStandsFor } from '../../src/ui/form/pipelineFields.js';
import { namesKind, specFromStored } from '../../src/ui/form/specShape.js';
import { csvRecords } from '../../src/ui/queries/csvRecords.js';

/** The dashboard form's pure parts: where a problem is shown, what a field's text means, how a result page reads. */
describe('the form over a JSON draft', () => {
  it('keeps keys no field knows through edits and through a load', () => {
    const loaded = specFromStored({ id: 'a', owners: ['team-a'], futureField: { x: 1 }, etag: 'W/"1"', generation: 'g', createdAt: 't', updatedAt: 't', schedulePaused: false });
    // The stored fields go (the API refuses them in a spec); everything else stays.
    expect(loaded).toEqual({ id: 'a', owners: ['team-a'], futureField: { x: 1 } });
    const edited = setIn(setIn(loaded, 'output.container', 'lake'), 'id', undefined);
    expect(edited).toEqual({ owners: ['team-a'], futureField: { x: 1 }, output: { container: 'lake' } });
  });

  it('reads number and list fields as typed, leaving text that is not a number for the schema to refuse', () => {
    expect(numberFromText(' 42 ')).toBe(42);
    expect(numberFromText('0.5')).toBe(0.5);
    expect(numberFromText('')).toBeUndefined();
    expect(numberFromText('4O')).toBe('4O');
    expect(listFromText('id\n\n  amount \n')).toEqual(['id', 'amount']);
    expect(listFromText('\n')).toBeUndefined();
  });

  it('puts each schema issue at the field that shows it, in page order, in a form\'s words', () => {
    const draft = { id: 'x', source: { engine: 'postgres', connectionSetting: 'S', packetSize: 4096 }, table: {}, output: { container: 'Bad' }, retry: { maxAttempts: 'two' } };
    const result = pipelineSpecDraftSchema.safeParse(draft);
    expect(result.success).toBe(false);
    const placed = placeIssues(issuesFromSchema(result.error!.issues, draft), pipelineFieldPaths(draft), pipelineStandsFor);
    expect(placed.map(({ field, path, message }) => ({ field, path, message: message.slice(0, 30) }))).toEqual([
      // A key the engine does not take is named at the source (its connection setting stands for it).
      { field: 'source.connectionSetting', path: 'source.packetSize', message: 'not a field of source' },
      { field: 'table.name', path: 'table.name', message: 'required' },
      { field: 'output.container', path: 'output.container', message: 'a blob container name: 3-63 lo' },
      { field: 'retry.maxAttempts', path: 'retry.maxAttempts', message: 'must be a number' },
    ]);
  });

  it('places the API\'s and the source\'s paths at the nearest field, or in the summary alone', () => {
    const fields = ['id', 'source.connectionSetting', 'table.name', 'columns', 'dependsOn'];
    const placed = placeIssues(
      [{ path: '', message: 'whole' }, { path: 'dependsOn', message: 'cycle' }, { path: 'columns.2', message: 'twice' }, { path: 'source', message: 'cannot connect' }, { path: 'table', message: 'no such table' }],
      fields,
      pipelineStandsFor,
    );
    expect(placed.map((issue) => [issue.field, issue.path])).toEqual([
      ['source.connectionSetting', 'source'],
      ['table.name', 'table'],
      ['columns', 'columns.2'],
      ['dependsOn', 'dependsOn'],
      [undefined, ''],
    ]);
  });

  it('tells a list of names from one name, whatever rules the names follow', () => {
    expect(namesKind(z.array(z.string().regex(/^[0-9a-f-]{36}$/)).min(1).optional())).toBe('list');
    // The shape the sign-in branch gives owners: Entra ID group object ids.
    expect(namesKind(z.array(z.guid('an Entra ID group object id (a GUID)')).min(1).max(20).optional())).toBe('list');
    expect(namesKind(z.string().min(3))).toBe('text');
    expect(namesKind(z.object({ group: z.string() }))).toBeUndefined();
  });
});

describe('a result page as CSV', () => {
  it('keeps NULL apart from the empty string, and quotes, commas and line breaks inside values', () => {
    const text = 'id,note,"odd, name"\r\n1,,""\r\n2,"a, ""b""","two\r\nlines"\r\n3,🦆,\r\n';
    expect(csvRecords(text)).toEqual([
      ['id', 'note', 'odd, name'],
      ['1', null, ''],
      ['2', 'a, "b"', 'two\r\nlines'],
      ['3', '🦆', null],
    ]);
  });

  it('reads a single NULL column as one NULL per line, and a header alone as no rows', () => {
    expect(csvRecords('x\r\n\r\n\r\n')).toEqual([['x'], [null], [null]]);
    expect(csvRecords('x\r\n')).toEqual([['x']]);
  });
});
