import { useState } from 'preact/hooks';
import { ApiError, apiRequest, segment, asApiError } from '../api.js';
import { SourcePlanView, type SourcePlan } from './sourcePlan.js';
import { ProblemNotice } from './problemNotice.js';

/**
 * What the next run would read, worked out from the source on request (GET .../plan connects to
 * it, so it is not polled), shown as the form's "Validate against source" shows it.
 */
export function PlanPanel({ pipelineId }: { pipelineId: string }) {
  const [plan, setPlan] = useState<SourcePlan | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  const [busy, setBusy] = useState(false);

  const load = async () => {
    setBusy(true);
    setError(undefined);
    try {
      setPlan((await apiRequest<SourcePlan>(`pipelines/${segment(pipelineId)}/plan`)).body);
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="panel">
      <div class="toolbar">
        <button type="button" onClick={load} disabled={busy}>{busy ? 'Asking the source…' : plan ? 'Plan again' : 'Load the plan'}</button>
        <span class="muted small">Connects to the source and plans a run as prepare would, copying nothing.</span>
      </div>
      <ProblemNotice error={error} />
      {plan ? <SourcePlanView plan={plan} /> : null}
    </div>
  );
}
