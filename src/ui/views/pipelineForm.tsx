import { useEffect, useRef, useState } from 'preact/hooks';
import { pipelineSpecDraftSchema } from '../../spec/pipelineSpec.js';
import { apiRequest, ApiError, asApiError, segment } from '../api.js';
import { ProblemNotice } from '../components/problemNotice.js';
import { useTitle } from '../components/useTitle.js';
import { href, navigate } from '../router.js';
import { isRecord, type Draft } from '../form/draft.js';
import { ErrorSummary } from '../form/errorSummary.js';
import { issuesFromSchema, type FieldIssue } from '../form/fieldIssues.js';
import { FormContext } from '../form/formContext.js';
import { fieldsWithoutControl, newPipelineDraft, pipelineFieldPaths, pipelineLabels, pipelineStandsFor, unknownKeys } from '../form/pipelineFields.js';
import { PipelineSections, type SectionSwitches } from '../form/pipelineSections.js';
import { SourcePlanView, type SourcePlan } from '../components/sourcePlan.js';
import { switchEngine } from '../form/sourcePaths.js';
import { ownersKind, specFromStored } from '../form/specShape.js';
import { Tabs } from '../form/tabs.js';
import { useDraftForm } from '../form/useDraftForm.js';
import { useCanOperate } from '../components/caller.js';

type Tab = 'form' | 'json';
/** Where the issues on show came from: the summary's title says so. */
type Origin = 'form' | 'api' | 'source';
const summaryTitles: Record<Origin, string> = { form: 'There is a problem', api: 'The API refused the pipeline', source: 'The source refuses the pipeline' };

const jsonText = (draft: Draft) => JSON.stringify(draft, null, 2);

/**
 * Create (/api/ui/pipelines/new) and edit (/api/ui/pipelines/{id}/edit) a pipeline: a field for
 * every part of the spec, checked with the API's own schema before anything is sent; the API's
 * and the source's refusals shown at their fields; a JSON tab over the same draft.
 */
export function PipelineFormView({ pipelineId }: { pipelineId?: string }) {
  // A form of its own per pipeline: moving from one edit page (or the new page) to another starts afresh.
  return <PipelineForm key={pipelineId ?? '(new)'} pipelineId={pipelineId} />;
}

function PipelineForm({ pipelineId }: { pipelineId?: string }) {
  const canOperate = useCanOperate();
  const editing = pipelineId !== undefined;
  const title = editing ? `Edit ${pipelineId}` : 'New pipeline';
  useTitle(title);
  const form = useDraftForm({ initial: newPipelineDraft, fields: pipelineFieldPaths, standsFor: pipelineStandsFor, labels: pipelineLabels });
  // What a switch set aside (chunking turned off, the table while a query is read, SQL Server's options), so switching back restores it.
  const aside = useRef<Record<string, unknown>>({});
  const [etag, setEtag] = useState<string | undefined>(undefined);
  const [loading, setLoading] = useState(editing);
  const [tab, setTab] = useState<Tab>('form');
  const [text, setText] = useState(() => jsonText(form.draft));
  const [textError, setTextError] = useState<string | undefined>(undefined);
  const [origin, setOrigin] = useState<Origin>('form');
  const [busy, setBusy] = useState<'saving' | 'checking' | undefined>(undefined);
  const [notice, setNotice] = useState<ApiError | undefined>(undefined);
  const [stale, setStale] = useState(false);
  const [plan, setPlan] = useState<SourcePlan | undefined>(undefined);
  const staleRef = useRef<HTMLDivElement>(null);
  const planRef = useRef<HTMLDivElement>(null);
  const owners = ownersKind();

  const replace = (draft: Draft) => {
    form.replace(draft);
    setText(jsonText(draft));
    setTextError(undefined);
  };

  const load = async () => {
    if (!pipelineId) return;
    setLoading(true);
    setNotice(undefined);
    try {
      const response = await apiRequest<Record<string, unknown>>(`pipelines/${segment(pipelineId)}`);
      setEtag(response.etag);
      replace(specFromStored(response.body));
      aside.current = {};
      setStale(false);
      setPlan(undefined);
      form.report([], 'none');
    } catch (err) {
      setNotice(asApiError(err));
    } finally {
      setLoading(false);
    }
  };

  useEffect(() => {
    void load();
  }, [pipelineId]);

  useEffect(() => {
    if (stale) staleRef.current?.focus();
  }, [stale]);

  const switches: SectionSwitches = {
    section: (key, on) => {
      const draft = { ...form.draft };
      if (on) draft[key] = isRecord(aside.current[key]) ? aside.current[key] : {};
      else {
        aside.current[key] = draft[key];
        delete draft[key];
      }
      replace(draft);
    },
    read: (kind) => {
      // A query pipeline selects its columns in the query: the table's columns go aside with it.
      const draft = { ...form.draft };
      const [goes, comes] = kind === 'query' ? (['table', 'query'] as const) : (['query', 'table'] as const);
      aside.current[goes] = draft[goes];
      delete draft[goes];
      if (kind === 'query') {
        aside.current.columns = draft.columns;
        delete draft.columns;
      } else if (aside.current.columns !== undefined) draft.columns = aside.current.columns;
      draft[comes] = aside.current[comes] ?? (kind === 'table' ? {} : '');
      replace(draft);
    },
    engine: (engine) => {
      const switched = switchEngine(form.draft, engine, isRecord(aside.current.sqlServer) ? aside.current.sqlServer : {});
      aside.current.sqlServer = switched.aside;
      replace(switched.draft);
    },
  };

  const pickTab = (next: Tab) => {
    if (next === tab) return;
    if (next === 'json') setText(jsonText(form.draft));
    else if (textError) {
      // The form cannot show text that is not a spec: the JSON tab stays until it parses.
      document.getElementById('f-json')?.focus();
      return;
    }
    setTab(next);
  };

  const onText = (value: string) => {
    setText(value);
    try {
      const parsed: unknown = JSON.parse(value);
      if (!isRecord(parsed)) throw new Error('the spec is a JSON object ({ ... })');
      form.replace(parsed);
      setTextError(undefined);
    } catch (err) {
      setTextError(`not a spec yet: ${(err as Error).message}`);
    }
  };

  const show = (issues: readonly FieldIssue[], from: Origin) => {
    setOrigin(from);
    // On the JSON tab the fields are not on screen: the summary takes the focus and its links lead to them.
    form.report(issues, tab === 'form' ? 'field' : 'summary');
  };

  /** The API's own schema, bundled: what it refuses is refused here, at the same paths, before a request. */
  const passesChecks = (): boolean => {
    setNotice(undefined);
    setStale(false);
    if (tab === 'json' && textError) {
      document.getElementById('f-json')?.focus();
      return false;
    }
    const checked = pipelineSpecDraftSchema.safeParse(form.draft);
    if (checked.success) return true;
    show(issuesFromSchema(checked.error.issues, form.draft), 'form');
    return false;
  };

  const failed = (err: unknown) => {
    const error = asApiError(err);
    const { status, errors } = error.problem;
    if (status === 400 && errors?.length) show(errors, 'api');
    else if (status === 409 && !editing) show([{ path: 'id', message: error.problem.title }], 'api');
    else if (status === 412) setStale(true);
    else setNotice(error);
  };

  const save = async (event: Event) => {
    event.preventDefault();
    if (busy || !passesChecks()) return;
    setBusy('saving');
    try {
      const id = String(form.draft.id);
      if (editing) await apiRequest(`pipelines/${segment(pipelineId)}`, { method: 'PUT', body: form.draft, ifMatch: etag });
      else await apiRequest('pipelines', { method: 'POST', body: form.draft });
      navigate(href('pipelines', id));
    } catch (err) {
      failed(err);
    } finally {
      setBusy(undefined);
    }
  };

  const check = async () => {
    if (busy || !passesChecks()) return;
    setBusy('checking');
    setPlan(undefined);
    try {
      const { body } = await apiRequest<SourcePlan>('pipelines:validate', { method: 'POST', body: form.draft });
      setPlan(body);
      if (body.refusals.length) show(body.refusals.map((refusal) => ({ path: refusal.path, message: refusal.column && !refusal.reason.includes(refusal.column) ? `${refusal.column}: ${refusal.reason}` : refusal.reason })), 'source');
      else {
        form.report([], 'none');
        requestAnimationFrame(() => planRef.current?.focus());
      }
    } catch (err) {
      failed(err);
    } finally {
      setBusy(undefined);
    }
  };

  if (loading && !etag) return <section><h1>{title}</h1><p class="loading">Loading {pipelineId}…</p><ProblemNotice error={notice} /></section>;
  if (editing && !etag) return <section><h1>{title}</h1><ProblemNotice error={notice} /></section>;

  const withoutControl = fieldsWithoutControl();
  const kept = unknownKeys(form.draft);
  return (
    <section class="pipeline-form">
      <h1>{title}</h1>
      {stale ? (
        <div class="notice error" role="alert" tabIndex={-1} ref={staleRef}>
          <strong>Someone else changed this pipeline since you opened it.</strong>
          <p>Your changes were not saved. Load their version to edit it (your changes here are discarded; copy them from the JSON tab first if you need them).</p>
          <p><button type="button" onClick={() => void load()}>Load their version</button></p>
        </div>
      ) : null}
      <ProblemNotice error={notice} />
      <ErrorSummary
        issues={form.issues}
        title={summaryTitles[origin]}
        label={form.label}
        summaryRef={form.summaryRef}
        onFollow={(field) => {
          if (tab === 'json' && !textError) setTab('form');
          form.follow(field);
        }}
      />
      {withoutControl.length || kept.length ? (
        <div class="notice info">
          {withoutControl.length ? <p>This form has no field for {withoutControl.join(', ')}; the JSON tab edits {withoutControl.length === 1 ? 'it' : 'them'}.</p> : null}
          {kept.length ? <p>Not fields of a pipeline as this dashboard knows it, kept and sent as they are: {kept.join(', ')}.</p> : null}
        </div>
      ) : null}
      <form onSubmit={save} noValidate>
        <FormContext.Provider value={form.api}>
          <Tabs id="spec" tabs={[{ value: 'form', label: 'Form' }, { value: 'json', label: 'JSON' }]} current={tab} onPick={pickTab}>
            {tab === 'form' ? (
              <PipelineSections editing={editing} owners={owners} switches={switches} />
            ) : (
              <div class={`field${textError ? ' has-error' : ''}`}>
                <label for="f-json">{pipelineLabels.json}</label>
                <div class="hint" id="f-json-hint">The whole spec; the form shows the same. Keys the form has no field for are kept.</div>
                {textError ? <p class="field-error" id="f-json-error"><span class="sr-only">Error: </span>{textError}</p> : null}
                <textarea
                  id="f-json"
                  class="json"
                  rows={28}
                  spellcheck={false}
                  value={text}
                  aria-describedby={`f-json-hint${textError ? ' f-json-error' : ''}`}
                  aria-invalid={textError ? 'true' : undefined}
                  onInput={(event) => onText((event.currentTarget as HTMLTextAreaElement).value)}
                />
              </div>
            )}
          </Tabs>
        </FormContext.Provider>
        <fieldset class="toolbar actions" aria-label="Save" disabled={!canOperate}>
          <button type="submit" class="primary" disabled={busy !== undefined}>{busy === 'saving' ? 'Saving…' : editing ? 'Save changes' : 'Create pipeline'}</button>
          <button type="button" disabled={busy !== undefined} onClick={() => void check()}>{busy === 'checking' ? 'Checking…' : 'Validate against source'}</button>
          <a class="button" href={editing ? href('pipelines', pipelineId) : href('pipelines')}>Cancel</a>
        </fieldset>
      </form>
      {plan ? <div tabIndex={-1} ref={planRef} class="plan-holder"><SourcePlanView plan={plan} /></div> : null}
    </section>
  );
}
