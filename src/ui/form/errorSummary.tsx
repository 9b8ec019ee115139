import type { Ref } from 'preact';
import { fieldId, type PlacedIssue } from './fieldIssues.js';

/**
 * The GOV.UK error summary: at the top of the form, announced when it appears, one link per
 * problem that takes the focus to its field. A problem without a field (the whole document, or a
 * key no field edits) is listed as text.
 */
export function ErrorSummary({ issues, title, label, onFollow, summaryRef }: {
  issues: readonly PlacedIssue[];
  title: string;
  label: (field: string) => string;
  onFollow: (field: string) => void;
  summaryRef?: Ref<HTMLDivElement>;
}) {
  if (!issues.length) return null;
  return (
    <div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabIndex={-1} ref={summaryRef}>
      <h2 id="error-summary-title">{title}</h2>
      <ul>
        {issues.map((issue) => {
          const where = issue.field === undefined ? issue.path : issue.field === issue.path ? label(issue.field) : `${label(issue.field)} (${issue.path})`;
          const text = where ? `${where}: ${issue.message}` : issue.message;
          return (
            <li>
              {issue.field === undefined ? (
                text
              ) : (
                <a
                  href={`#${fieldId(issue.field)}`}
                  onClick={(event) => {
                    // The router would treat the link as a navigation; this one only moves the focus.
                    event.preventDefault();
                    onFollow(issue.field!);
                  }}
                >
                  {text}
                </a>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

/** Puts the focus on a field's control and brings it into view. */
export function focusField(field: string): boolean {
  const control = document.getElementById(fieldId(field));
  if (!control) return false;
  control.focus();
  control.scrollIntoView({ block: 'center' });
  return true;
}
