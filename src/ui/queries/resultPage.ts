import { ApiError } from '../api.js';
import { csvRecords, type Cell } from './csvRecords.js';

export type ResultPage = { columns: string[]; rows: Cell[][]; totalRows: number; offset: number };

/**
 * A page of a succeeded query's result (GET /api/queries/{id}/result), as CSV: its header names
 * the columns in the query's order, and empty-unquoted vs `""` keeps NULL apart from the empty
 * string. `X-Total-Rows` says how many rows the whole result has.
 */
export async function fetchResultPage(queryId: string, offset: number, limit: number, signal?: AbortSignal): Promise<ResultPage> {
  const response = await fetch(`/api/queries/${encodeURIComponent(queryId)}/result?format=csv&offset=${offset}&limit=${limit}`, { headers: { accept: 'text/csv' }, credentials: 'same-origin', signal });
  const text = await response.text();
  if (!response.ok) {
    let problem: unknown;
    try {
      problem = JSON.parse(text);
    } catch {
      problem = undefined;
    }
    const title = typeof problem === 'object' && problem !== null && typeof (problem as { title?: unknown }).title === 'string' ? (problem as { title: string }).title : `${response.status} ${response.statusText}`;
    const detail = typeof problem === 'object' && problem !== null && typeof (problem as { detail?: unknown }).detail === 'string' ? (problem as { detail: string }).detail : undefined;
    throw new ApiError({ title, status: response.status, detail });
  }
  const totalRows = Number(response.headers.get('x-total-rows') ?? '');
  const [header = [], ...rows] = csvRecords(text);
  return { columns: header.map((name) => name ?? ''), rows, totalRows: Number.isFinite(totalRows) ? totalRows : offset + rows.length, offset };
}
