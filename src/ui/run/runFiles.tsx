import { useEffect, useState } from 'preact/hooks';
import { ApiError, getJson, segment, asApiError } from '../api.js';
import { ProblemNotice } from '../components/problemNotice.js';
import { formatBytes, formatCount, formatTime } from '../format.js';
import { isLive, type ChunkDetail, type RunDetail, type RunFile, type RunFilePage } from './runTypes.js';
import { QuarantineFiles } from './quarantineFiles.js';
import { FileTable } from './fileTable.js';

type Listing = { manifest?: RunFilePage['manifest']; quarantine?: RunFilePage['quarantine']; files: RunFile[]; token?: string; missing?: boolean; error?: ApiError; loading: boolean };

/**
 * The run's output: the manifest (what readers may trust) and its files, from GET .../files, asked
 * once the run has ended (the manifest is written last). Until then, or when there is none (a run
 * that failed or was cancelled), what the chunk records say they wrote.
 */
export function RunFiles({ run, chunks }: { run: RunDetail; chunks: ChunkDetail[] }) {
  const ended = !isLive(run.status);
  const base = `pipelines/${segment(run.pipelineId)}/runs/${segment(run.runId)}/files`;
  const [listing, setListing] = useState<Listing>({ files: [], loading: false });

  const load = async (token: string | undefined, signal?: AbortSignal) => {
    setListing((previous) => ({ ...previous, loading: true }));
    try {
      const page = await getJson<RunFilePage>(`${base}?limit=100${token ? `&continuationToken=${encodeURIComponent(token)}` : ''}`, signal);
      setListing((previous) => ({ manifest: page.manifest, quarantine: page.quarantine, files: token ? [...previous.files, ...page.files] : page.files, token: page.continuationToken, loading: false }));
    } catch (err) {
      if (signal?.aborted) return;
      const error = asApiError(err);
      setListing((previous) => (error.problem.status === 404 ? { files: [], missing: true, loading: false } : { ...previous, error, loading: false }));
    }
  };

  useEffect(() => {
    setListing({ files: [], loading: false });
    if (!ended) return;
    const controller = new AbortController();
    void load(undefined, controller.signal);
    return () => controller.abort();
  }, [base, ended, run.attempt]);

  const recorded = chunks.reduce((sum, chunk) => sum + chunk.files, 0);
  const { manifest } = listing;
  return (
    <section class="run-files" aria-labelledby="run-files-heading">
      <h2 id="run-files-heading">Manifest and files</h2>
      <ProblemNotice error={listing.error} />
      {!ended ? <p class="muted" id="run-files-note">The manifest is written once every chunk is copied; so far the chunks have written {formatCount(recorded)} {recorded === 1 ? 'file' : 'files'}.</p> : null}
      {listing.missing ? <p class="muted" id="run-files-note">No manifest: the run is {run.status.replace(/_/g, ' ')}, so none of its files are output. Its chunk records list {formatCount(recorded)} {recorded === 1 ? 'file' : 'files'}.</p> : null}
      {manifest ? (
        <>
          <dl class="facts">
            <div><dt>Manifest</dt><dd><code>{manifest.path}</code></dd></div>
            <div><dt>Format</dt><dd>{manifest.format}{manifest.compression !== 'none' ? ` (${manifest.compression})` : ''}</dd></div>
            <div><dt>Files</dt><dd class="num">{formatCount(manifest.files)}</dd></div>
            <div><dt>Rows</dt><dd class="num">{formatCount(manifest.rows)}</dd></div>
            <div><dt>Bytes</dt><dd class="num">{formatBytes(manifest.bytes)}</dd></div>
            <div><dt>Written for</dt><dd>{formatTime(manifest.createdAt)}</dd></div>
            {manifest.partitionBy ? <div><dt>Partitioned by</dt><dd>{manifest.partitionBy.join(', ')}</dd></div> : null}
          </dl>
          <FileTable id="run-files" caption={`Files the manifest lists, in container ${manifest.container}`} pathHeading={<>Path in {manifest.container}</>} files={listing.files} />
          {listing.token ? (
            <button type="button" class="more" disabled={listing.loading} onClick={() => void load(listing.token)}>
              Show more files ({formatCount(listing.files.length)} of {formatCount(manifest.files)} shown)
            </button>
          ) : null}
        </>
      ) : null}
      <QuarantineFiles run={run} quarantine={listing.quarantine} filesUrl={`/api/${base}`} ended={ended} missing={listing.missing === true} />
    </section>
  );
}
