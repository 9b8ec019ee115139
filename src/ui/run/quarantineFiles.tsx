import { formatCount } from '../format.js';
import { FileTable } from './fileTable.js';
import type { RunDetail, RunQuarantine } from './runTypes.js';

/**
 * The rows validation rejected, how many broke each rule, and where they are: the `_quarantine/` files (gzip JSON Lines, a
 * row's failed rules, key and values a line) as the manifest lists them through the run's files
 * endpoint, linked as JSON. A run that failed on its rejection limits has no manifest, and its
 * cleanup removes its quarantine files with the rest.
 */
export function QuarantineFiles({ run, quarantine, filesUrl, ended, missing }: { run: RunDetail; quarantine?: RunQuarantine; filesUrl: string; ended: boolean; missing: boolean }) {
  if (run.rowsRejected === undefined) return null;
  return (
    <div class="run-quarantine" id="run-quarantine">
      <h3>Rejected rows: <span class="num" id="run-quarantine-rows">{formatCount(run.rowsRejected)}</span></h3>
      {run.rowsRejected === 0 ? <p class="muted">Every row read met the pipeline's validation.</p> : null}
      {run.rejectedByRule?.length ? (
        <div class="table-wrap">
          <table id="run-failed-rules">
            <caption class="sr-only">Rules the rejected rows broke; a row that broke two counts under both</caption>
            <thead><tr><th>Column</th><th>Rule</th><th class="num">Rows</th></tr></thead>
            <tbody>
              {run.rejectedByRule.map((count) => (
                <tr key={`${count.column}:${count.rule}`} data-rule={`${count.column}.${count.rule}`}>
                  <td><code>{count.column}</code></td>
                  <td>{count.rule}</td>
                  <td class="num">{formatCount(count.rows)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {run.rowsRejected > 0 && !ended ? <p class="muted">The quarantine files are listed with the manifest, once every chunk is copied.</p> : null}
      {run.rowsRejected > 0 && missing ? <p class="muted">No manifest lists them: the run is {run.status.replace(/_/g, ' ')}, so its cleanup removes its quarantine files with the rest.</p> : null}
      {quarantine?.files.length ? (
        <>
          <p class="muted">
            Each line of a file is one row: its failed rules and messages, its key and every value in its exact text form.{' '}
            <a href={filesUrl} id="run-quarantine-json">The list as JSON</a>
          </p>
          <FileTable id="run-quarantine-files" caption="Quarantine files the manifest lists" pathHeading="Path" files={quarantine.files} />
        </>
      ) : null}
    </div>
  );
}
