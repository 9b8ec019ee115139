import { pipelineSpecSchema } from '../../spec/pipelineSpec.js';

/** What the form asks a schema: does a value of this shape get past its type check? */
type Probe = { safeParse: (value: unknown) => { success: boolean; error?: { issues: ReadonlyArray<{ code: string; path: readonly PropertyKey[] }> } } };

/** The spec's top-level fields as the bundled schema knows them. */
const specShape = pipelineSpecSchema.shape as unknown as Readonly<Record<string, Probe | undefined>>;

export const specFieldNames: readonly string[] = Object.keys(specShape);

/** True when `sample` is refused for something other than its type at the top (a format rule on an item is fine). */
function takesShapeOf(schema: Probe, sample: unknown): boolean {
  const result = schema.safeParse(sample);
  return result.success || !(result.error?.issues ?? []).some((issue) => issue.code === 'invalid_type' && issue.path.length === 0);
}

export type OwnersKind = 'list' | 'text';

/** Whether a schema takes a list of names or one name; neither (an object, say), undefined. */
export function namesKind(schema: Probe): OwnersKind | undefined {
  if (takesShapeOf(schema, ['group'])) return 'list';
  if (takesShapeOf(schema, 'group')) return 'text';
  return undefined;
}

/**
 * `owners` (the group(s) whose operators may change the pipeline) came to the spec after this
 * form: the form asks the schema it was bundled with whether the field exists and what it holds,
 * and shows a list or a text field accordingly; without it, no field (and a shape the form
 * cannot show is left to the JSON tab).
 */
export function ownersKind(): OwnersKind | undefined {
  const schema = specShape.owners;
  return schema ? namesKind(schema) : undefined;
}

/** Keys the spec's API never takes back: a GET adds them beside the spec (the CLI's apply drops the same ones). */
export const storedFields = ['schedulePaused', 'createdAt', 'updatedAt', 'etag', 'generation'] as const;

/** A pipeline as GET answers it, as a spec to edit: the stored fields go; every other key stays, known to the form or not. */
export function specFromStored(stored: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(stored).filter(([key]) => !(storedFields as readonly string[]).includes(key)));
}
