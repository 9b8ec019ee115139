import { useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { setIn, type Draft } from './draft.js';
import { placeIssues, type FieldIssue, type PlacedIssue } from './fieldIssues.js';
import { focusField } from './errorSummary.js';
import type { FormApi } from './formContext.js';

export type DraftFormOptions = {
  initial: () => Draft;
  /** The fields shown for a draft, in document order (engine-dependent fields only for their engine). */
  fields: (draft: Draft) => readonly string[];
  /** Paths of the document shown at another field (`source` → `source.connectionSetting`). */
  standsFor?: Readonly<Record<string, string>>;
  labels: Readonly<Record<string, string>>;
};

export type DraftForm = {
  draft: Draft;
  /** Replaces the whole draft (the JSON tab, a reload): issues stay until the next check. */
  replace: (draft: Draft) => void;
  issues: readonly PlacedIssue[];
  /** Shows these issues (client checks, the API's 400, the source's refusals) and moves the focus to the first field, or to `focusTo`. */
  report: (issues: readonly FieldIssue[], focusTo?: 'field' | 'summary' | 'none') => void;
  follow: (field: string) => void;
  api: FormApi;
  summaryRef: { current: HTMLDivElement | null };
  label: (field: string) => string;
};

/**
 * The state of a form over a JSON draft: the draft, the issues shown at its fields (an edited
 * field's issue goes away with the edit; the rest stay until the next check, as GOV.UK forms
 * do), and where the focus goes after a check.
 */
export function useDraftForm(options: DraftFormOptions): DraftForm {
  const [draft, setDraft] = useState<Draft>(options.initial);
  const [issues, setIssues] = useState<readonly FieldIssue[]>([]);
  const [focus, setFocus] = useState<{ to: string | 'summary'; request: number } | undefined>(undefined);
  const summaryRef = useRef<HTMLDivElement | null>(null);
  const fields = options.fields(draft);
  const standsFor = options.standsFor ?? {};
  const placed = useMemo(() => placeIssues(issues, fields, standsFor), [issues, fields.join('\n')]);
  const label = (field: string) => options.labels[field] ?? field;

  // Right after the render that shows the messages, before the user can act on the page.
  useLayoutEffect(() => {
    if (!focus) return;
    if (focus.to === 'summary' || !focusField(focus.to)) summaryRef.current?.focus();
  }, [focus]);

  const set = (path: string, value: unknown) => {
    setDraft((current) => setIn(current, path, value));
    setIssues((current) => {
      const kept = placeIssues(current, fields, standsFor).filter((issue) => issue.field !== path);
      return kept.length === current.length ? current : kept.map(({ path: issuePath, message }) => ({ path: issuePath, message }));
    });
  };

  const report = (reported: readonly FieldIssue[], focusTo: 'field' | 'summary' | 'none' = 'field') => {
    setIssues(reported);
    if (focusTo === 'none' || reported.length === 0) return;
    const first = placeIssues(reported, fields, standsFor)[0];
    setFocus((previous) => ({ to: focusTo === 'field' && first?.field !== undefined ? first.field : 'summary', request: (previous?.request ?? 0) + 1 }));
  };

  const follow = (field: string) => setFocus((previous) => ({ to: field, request: (previous?.request ?? 0) + 1 }));

  const messagesAt = (field: string) => placed.filter((issue) => issue.field === field).map((issue) => (issue.path === field ? issue.message : `${issue.path}: ${issue.message}`));

  return {
    draft,
    replace: setDraft,
    issues: placed,
    report,
    follow,
    api: { draft, set, messagesAt, label },
    summaryRef,
    label,
  };
}
