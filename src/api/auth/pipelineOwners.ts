import type { HttpResponseInit } from '@azure/functions';
import { problem } from '../problem.js';
import type { Caller } from './caller.js';

/**
 * A pipeline's `owners` (Entra ID group object ids) keep one team's operators off another
 * team's pipelines. Readers see every pipeline; these checks guard the changes (update, delete,
 * trigger, cancel, retry, pause and resume, watermark reset). The local caller without sign-in
 * passes, as does everyone for a pipeline without owners.
 */

/** 403 naming the pipeline when the caller is in none of its owner groups; undefined when it may act. */
export function ownersProblem(caller: Caller, pipelineId: string, owners: readonly string[] | undefined): HttpResponseInit | undefined {
  if (caller.local || !owners?.length) return undefined;
  if (caller.groupsOverage) return overage(pipelineId, 'act on it');
  if (isMember(caller, owners)) return undefined;
  return problem(403, `Pipeline ${pipelineId} belongs to other owners`, `owners: ${caller.name} is in none of the groups that own pipeline ${pipelineId} (${owners.join(', ')})`);
}

/**
 * The owners a create or an update gives a pipeline must include a group of the caller's: no
 * handing a pipeline to a team you are not in, and (with ownersProblem on the stored owners)
 * no taking one over.
 */
export function newOwnersProblem(caller: Caller, pipelineId: string, owners: readonly string[] | undefined): HttpResponseInit | undefined {
  if (caller.local || !owners?.length) return undefined;
  if (caller.groupsOverage) return overage(pipelineId, 'give it owners');
  if (isMember(caller, owners)) return undefined;
  return problem(403, `Pipeline ${pipelineId} would belong to groups you are not in`, `owners: ${caller.name} is in none of ${owners.join(', ')}; list at least one group you are in`, [
    { path: 'owners', message: 'must include a group you are in' },
  ]);
}

function isMember(caller: Caller, owners: readonly string[]): boolean {
  return owners.some((owner) => caller.groups.includes(owner.toLowerCase()));
}

/** Group overage: the token lists no groups, so membership cannot be told; refused, never guessed. */
function overage(pipelineId: string, action: string): HttpResponseInit {
  return problem(
    403,
    `Your group membership cannot be checked for pipeline ${pipelineId}`,
    `owners: your token lists no groups because you are in more than Entra ID puts in a token (group overage), so Siphon cannot tell whether you may ${action}; an admin can set the app registration's groupMembershipClaims to ApplicationGroup and assign the owner groups to the Siphon app, so tokens carry only those`,
  );
}
