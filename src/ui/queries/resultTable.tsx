import { useEffect, useState } from 'preact/hooks';
import type { ApiError } from '../api.js';
import { ProblemNotice } from '../components/problemNotice.js';
import { formatCount } from '../format.js';
import { fetchResultPage, type ResultPage } from './resultPage.js';

const pageSizes = [50, 100, 500, 1_000] as const;

/**
 * A succeeded query's rows, a page at a time (the API reads a page from the result files with
 * bounded memory, so a large result is never loaded whole): the column names as headers, NULL
 * shown apart from the empty string, Previous and Next.
 */
export function ResultTable({ queryId, totalRows }: { queryId: string; totalRows: number }) {
  const [pageSize, setPageSize] = useState<number>(100);
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<ResultPage | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    fetchResultPage(queryId, offset, pageSize, controller.signal)
      .then((loaded) => {
        setPage(loaded);
        setError(undefined);
      })
      .catch((err: unknown) => {
        if (!controller.signal.aborted) setError(err as ApiError);
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
  }, [queryId, offset, pageSize]);

  const total = page?.totalRows ?? totalRows;
  const last = Math.min(offset + pageSize, total);
  return (
    <section aria-labelledby="result-title">
      <h2 id="result-title">Result</h2>
      <ProblemNotice error={error} />
      <div class="pager">
        <button type="button" disabled={loading || offset === 0} onClick={() => setOffset(Math.max(0, offset - pageSize))}>Previous</button>
        <button type="button" disabled={loading || last >= total} onClick={() => setOffset(offset + pageSize)}>Next</button>
        <span class="page-position" aria-live="polite">
          {total === 0 ? 'No rows' : `Rows ${formatCount(offset + 1)}–${formatCount(last)} of ${formatCount(total)}`}
          {loading ? ' (loading…)' : ''}
        </span>
        <label class="inline" for="page-size">
          Rows a page
          <select id="page-size" value={String(pageSize)} onChange={(event) => {
            setPageSize(Number((event.currentTarget as HTMLSelectElement).value));
            setOffset(0);
          }}>
            {pageSizes.map((size) => <option value={String(size)}>{size}</option>)}
          </select>
        </label>
      </div>
      {page ? (
        <div class="table-wrap">
          <table class="result-table" aria-busy={loading ? 'true' : 'false'}>
            <thead>
              <tr>
                <th scope="col" class="num">#</th>
                {page.columns.map((name) => <th scope="col">{name}</th>)}
              </tr>
            </thead>
            <tbody>
              {page.rows.map((row, index) => (
                <tr>
                  <th scope="row">{formatCount(page.offset + index + 1)}</th>
                  {row.map((cell) => (cell === null ? <td class="null" data-null="">NULL</td> : <td>{cell}</td>))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
