import type { ComponentChildren } from 'preact';
import { compressionsByFormat, defaultPathTemplate, outputFormats, pathTokens, type OutputFormat } from '../../spec/pipelineSpec.js';
import { isRecord } from './draft.js';
import { ListField, NumberField, SelectField, TextField } from './fields.js';
import { useForm } from './formContext.js';
import { formatOf, readsQuery, readsTables } from './pipelineFields.js';
import { SourceFields } from './sourceFields.js';
import type { OwnersKind } from './specShape.js';

/** What the view does when a part of the spec is switched on or off, or the engine or the read changes (it keeps what is set aside). */
export type SectionSwitches = {
  section: (key: 'chunking' | 'schedule' | 'incremental', on: boolean) => void;
  read: (kind: 'table' | 'query') => void;
  engine: (engine: string | undefined) => void;
};

const timeZones: readonly string[] = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : ['UTC'];
const formatLabels: Record<OutputFormat, string> = { parquet: 'Parquet', csv: 'CSV', jsonl: 'JSON Lines', delta: 'Delta Lake table' };

/** A part of the spec that is there or not (chunking, schedule, incremental): its switch, then its fields while on. */
function OptionalSection({ name, legend, label, hint, switches, children }: { name: 'chunking' | 'schedule' | 'incremental'; legend: string; label: string; hint: string; switches: SectionSwitches; children: ComponentChildren }) {
  const form = useForm();
  const on = isRecord(form.draft[name]);
  return (
    <fieldset>
      <legend>{legend}</legend>
      <div class="field check">
        <input id={`t-${name}`} type="checkbox" checked={on} aria-controls={`s-${name}`} onChange={(event) => switches.section(name, (event.currentTarget as HTMLInputElement).checked)} />
        <label for={`t-${name}`}>{label}</label>
        <div class="hint">{hint}</div>
      </div>
      <div id={`s-${name}`} class="grid" hidden={!on}>{on ? children : null}</div>
    </fieldset>
  );
}

/** Every field of a pipeline spec, in the order a data engineer thinks of it: what, from where, how, to where, when. */
export function PipelineSections({ editing, owners, switches }: { editing: boolean; owners: OwnersKind | undefined; switches: SectionSwitches }) {
  const form = useForm();
  const query = readsQuery(form.draft);
  const manyTables = readsTables(form.draft);
  const format = formatOf(form.draft);
  const compressions: readonly string[] = compressionsByFormat[format as OutputFormat] ?? [];
  const defaultCompression = format === 'parquet' ? 'snappy' : 'none';
  return (
    <>
      <fieldset>
        <legend>Pipeline</legend>
        <div class="grid">
          <TextField path="id" readOnly={editing} spellcheck={false} placeholder="sales-orders" hint={editing ? 'A pipeline keeps its id.' : 'Lowercase letters, digits and hyphens, 1 to 48 characters.'} />
          {owners === 'list' ? <ListField path="owners" rows={2} hint="One Entra ID group (object id) per line: only operators in these groups may change and run the pipeline. Empty: every operator may." /> : null}
          {owners === 'text' ? <TextField path="owners" spellcheck={false} hint="The group whose operators may change the pipeline." /> : null}
          <TextField path="description" multiline prose rows={2} wide />
        </div>
      </fieldset>

      <SourceFields onEngine={switches.engine} />

      <fieldset>
        <legend>What to read</legend>
        {manyTables ? (
          <div id="f-read-tables">
            <p>
              Many tables: each table the patterns of <code>tables</code> match, less those <code>exclude</code> matches, copied as a run of its own.
              This form shows them as they are; the JSON tab edits them (and their per-table overrides).
            </p>
            <pre class="readonly-json" aria-label="tables, exclude and failFast as JSON">{JSON.stringify({ tables: form.draft.tables, ...(form.draft.exclude !== undefined ? { exclude: form.draft.exclude } : {}), ...(form.draft.failFast !== undefined ? { failFast: form.draft.failFast } : {}) }, null, 2)}</pre>
          </div>
        ) : (
        <>
        <div class="choice">
          <label class="inline"><input type="radio" name="read" id="f-read-table" checked={!query} onChange={() => switches.read('table')} /> a table</label>
          <label class="inline"><input type="radio" name="read" id="f-read-query" checked={query} onChange={() => switches.read('query')} /> a query of my own</label>
        </div>
        {query ? (
          <TextField path="query" multiline keepEmpty rows={6} wide spellcheck={false} placeholder="SELECT id, amount FROM sales.orders WHERE region = 'EU'" hint="One SELECT (no trailing ;), read as a derived table; it is checked when the pipeline is saved." />
        ) : (
          <div class="grid">
            <TextField path="table.schema" spellcheck={false} placeholder="public, dbo or the database" hint="Empty: the engine's default schema." />
            <TextField path="table.name" spellcheck={false} placeholder="orders" />
            <ListField path="columns" hint="One per line. Empty: every column." placeholder={'id\namount\nupdated_at'} wide />
          </div>
        )}
        </>
        )}
      </fieldset>

      <OptionalSection name="chunking" legend="Chunking" label="Split the read into chunks copied in parallel" hint="Without chunking the table or query is one streamed chunk." switches={switches}>
        <TextField path="chunking.column" spellcheck={false} hint="An integer, date or timestamp column. Empty: chosen from the table's primary key or indexes." />
        <NumberField path="chunking.chunks" placeholder="from the size" hint="1 to 10,000. Empty: 8 on a named column, else the table's size over the target chunk size." />
        <NumberField path="chunking.targetChunkMB" placeholder="256" hint="Megabytes of source data per chunk when Chunks is empty. Default 256." />
        <NumberField path="chunking.maxParallel" placeholder="4" hint="1 to 64. Default 4." />
        <SelectField
          path="chunking.strategy"
          fallback="statistics"
          choices={[{ value: 'statistics', label: 'Equal rows (from statistics)' }, { value: 'equalWidth', label: 'Equal key ranges' }]}
        />
      </OptionalSection>

      <fieldset>
        <legend>Output</legend>
        <div class="grid">
          <TextField path="output.container" spellcheck={false} placeholder="landing" hint="A blob container: 3 to 63 lowercase letters, digits and single hyphens." />
          <SelectField path="output.format" fallback="parquet" choices={outputFormats.map((value) => ({ value, label: formatLabels[value] }))} onPick={(value) => {
            // A compression the new format cannot use goes; the format's default applies.
            const compression = form.draft.output && isRecord(form.draft.output) ? form.draft.output.compression : undefined;
            form.set('output.format', value);
            const allowed: readonly string[] = compressionsByFormat[(value ?? 'parquet') as OutputFormat] ?? [];
            if (typeof compression === 'string' && !allowed.includes(compression)) form.set('output.compression', undefined);
          }} />
          <SelectField path="output.compression" unset={`Default (${defaultCompression})`} choices={compressions.map((value) => ({ value, label: value }))} />
          <NumberField path="output.maxRowsPerFile" placeholder="5000000" hint="A file is committed after this many rows. Default 5,000,000." />
          <NumberField path="output.rowGroupRows" placeholder="100000" hint="Parquet row groups (and the unit of encoding). Default 100,000, or rows per file when smaller." />
          <TextField path="output.pathTemplate" spellcheck={false} placeholder={defaultPathTemplate} wide hint={<>Tokens: {pathTokens.map((token) => `{${token}}`).join(' ')}. The first folder is {'{pipeline}'}, the folder holds {'{runId}'}, the file name {'{chunk}'} and {'{file}'}.</>} />
          <ListField path="output.partitionBy" rows={2} hint="Up to four columns, one per line: Hive folders col=value/." />
        </div>
      </fieldset>

      <OptionalSection name="schedule" legend="Schedule" label="Run on a schedule" hint="Without a schedule the pipeline runs when triggered." switches={switches}>
        <TextField path="schedule.cron" spellcheck={false} placeholder="0 2 * * *" hint="Five fields (minute hour day month weekday), or six with one value for seconds first." />
        <TextField path="schedule.timeZone" spellcheck={false} placeholder="UTC" list="time-zones" hint="An IANA time zone. Default UTC." />
        <datalist id="time-zones">{timeZones.map((zone) => <option value={zone} />)}</datalist>
      </OptionalSection>

      <OptionalSection name="incremental" legend="Incremental" label="Load incrementally" hint="Each run reads only rows whose cursor passed the last run's high mark." switches={switches}>
        <TextField path="incremental.column" spellcheck={false} hint="An increasing column: a timestamp, a date, an integer or a rowversion." />
        <NumberField path="incremental.lookbackSeconds" hint="For date and timestamp cursors: re-read this far back for late rows." />
        <NumberField path="incremental.lookbackValues" hint="For integer and rowversion cursors (give one of the two lookbacks)." />
      </OptionalSection>

      <fieldset>
        <legend>Retries and timeout</legend>
        <div class="grid">
          <NumberField path="retry.maxAttempts" placeholder="4" hint="A chunk that fails for a reason a retry can fix is tried this often in all. Default 4." />
          <NumberField path="retry.firstDelaySeconds" decimals placeholder="5" hint="Default 5." />
          <NumberField path="retry.backoffCoefficient" decimals placeholder="2" hint="Each delay grows by this factor. Default 2." />
          <NumberField path="retry.maxDelaySeconds" decimals placeholder="300" hint="Default 300." />
          <NumberField path="timeoutMinutes" decimals placeholder="1440" hint="A run still going after this long ends timed out. Default 1,440." />
        </div>
      </fieldset>

      <fieldset>
        <legend>Dependencies</legend>
        <ListField path="dependsOn" rows={2} hint="Pipeline ids, one per line, whose latest run must have succeeded for a run of this one to go ahead." />
      </fieldset>
    </>
  );
}
