import type { ComponentChildren } from 'preact';
import { formatBytes, formatCount } from '../format.js';
import type { RunFile } from './runTypes.js';

/** A table of a manifest's files (output or quarantine): path, chunk, rows and bytes. */
export function FileTable({ id, caption, pathHeading, files }: { id: string; caption: string; pathHeading: ComponentChildren; files: RunFile[] }) {
  return (
    <div class="table-wrap">
      <table id={id}>
        <caption class="sr-only">{caption}</caption>
        <thead><tr><th>{pathHeading}</th><th class="num">Chunk</th><th class="num">Rows</th><th class="num">Bytes</th></tr></thead>
        <tbody>
          {files.map((file) => (
            <tr key={file.path}>
              <td class="path"><code>{file.path}</code></td>
              <td class="num">{file.chunk}</td>
              <td class="num">{formatCount(file.rows)}</td>
              <td class="num">{formatBytes(file.bytes)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
