import type { ApiError } from '../api.js';

/** What the API refused or failed, in its own words (the problem's title and detail). */
export function ProblemNotice({ error }: { error: ApiError | undefined }) {
  if (!error) return null;
  return (
    <div class="notice error" role="alert">
      <strong>{error.problem.title}</strong>
      {error.problem.detail ? <p>{error.problem.detail}</p> : null}
    </div>
  );
}
