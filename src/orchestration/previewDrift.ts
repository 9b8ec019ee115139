import type { Services } from '../services.js';
import type { Column } from '../spec/columns.js';
import type { PipelineSpec } from '../spec/pipelineSpec.js';
import { defaultSchemaContract, type SchemaContract } from '../spec/schemaContract.js';
import { applySchemaContract, frozenMessage, type SchemaColumn } from './schemaDrift.js';

/** What the contract does with one change: the policy that applies to it, by its spec name. */
export type DriftAction = 'evolve' | 'freeze' | 'discardColumn' | 'ignore' | 'nullFill';

export type DriftPreview = {
  /** The run whose schema the source is compared with (the last successful one). */
  comparedWithRun: string;
  outcome: 'evolved' | 'frozen';
  added: { column: string; new: SchemaColumn; action: DriftAction }[];
  removed: { column: string; old: SchemaColumn; action: DriftAction }[];
  retyped: { column: string; old: SchemaColumn; new: SchemaColumn; widening: boolean; action: DriftAction }[];
  /** Why the next run would fail, when the contract freezes. */
  frozenReason?: string;
};

/**
 * The drift the pipeline's next run would see: the source's columns now (as a run would write
 * them) against the stored schema of the last successful run, with what the contract would do
 * to each change. Reads the stored schema and records nothing, so plan and validate can show it.
 * None when the pipeline has no stored schema (never succeeded) or nothing changed.
 */
export async function previewDrift(services: Services, spec: PipelineSpec, columns: readonly Column[]): Promise<DriftPreview | undefined> {
  const stored = await services.schemas.current(spec.id);
  if (!stored) return undefined;
  const contract = spec.schemaContract ?? defaultSchemaContract;
  const { drift } = applySchemaContract(stored.columns, columns, contract);
  if (!drift) return undefined;
  return {
    comparedWithRun: stored.runId,
    outcome: drift.outcome,
    added: drift.added.map((change) => ({ ...change, action: contract.added })),
    removed: drift.removed.map((change) => ({ ...change, action: contract.removed })),
    retyped: drift.retyped.map((change) => ({ ...change, action: retypeAction(contract, change.widening) })),
    ...(drift.outcome === 'frozen' ? { frozenReason: frozenMessage(drift, contract) } : {}),
  };
}

/** Absent, the contract evolves a safe widening and freezes any other retype. */
function retypeAction(contract: SchemaContract, widening: boolean): DriftAction {
  return contract.retyped ?? (widening ? 'evolve' : 'freeze');
}
