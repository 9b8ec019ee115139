import { RunEvent, runEventFields, type RunEventField } from '../../src/observability/runEvents.js';

/**
 * Checks that a KQL query over Siphon's customEvents names only what the code emits: event names
 * from RunEvent, text fields from customDimensions (Properties in the workspace's AppEvents) and
 * numbers from customMeasurements (Measurements), each as runEventFields lists it. A query that
 * reads a field the code never sends returns empty columns without an error, so this is the only
 * place such a typo is caught before an alert silently never fires.
 */
const eventNames: string[] = Object.values(RunEvent);

/** Event names a query compares with (`== "SiphonX"`, `"SiphonX"` in a list); `startswith "Siphon"` is not a name. */
export function eventsNamedIn(query: string): string[] {
  return [...query.matchAll(/"(Siphon[A-Z]\w*)"/g)].map((m) => m[1]!);
}

type Kind = 'dimension' | 'measurement';

/** Every `customDimensions.x` / `customMeasurements.x` (and the workspace's `Properties.x` / `Measurements.x`) a query reads. */
export function fieldsNamedIn(query: string): Array<{ field: string; kind: Kind }> {
  return [...query.matchAll(/\b(customDimensions|customMeasurements|Properties|Measurements)(?:\.(\w+)|\[["'](\w+)["']\])/g)].map((m) => ({
    field: (m[2] ?? m[3])!,
    kind: m[1] === 'customDimensions' || m[1] === 'Properties' ? 'dimension' : 'measurement',
  }));
}

export function checkEventQuery(where: string, query: string): string[] {
  const problems: string[] = [];
  if (/parse_json\(|message has|Message has/.test(query)) problems.push(`${where} parses trace text; read customDimensions instead`);
  for (const name of eventsNamedIn(query)) if (!eventNames.includes(name)) problems.push(`${where} names event ${name}, which the code never emits`);
  for (const { field, kind } of fieldsNamedIn(query)) {
    const emitted = runEventFields[field as RunEventField] as Kind | undefined;
    if (emitted === undefined) problems.push(`${where} reads ${field}, which no event carries`);
    else if (emitted !== kind) problems.push(`${where} reads ${field} as a ${kind}, but the code sends it as a ${emitted}`);
  }
  return problems;
}

/** The `var xQuery = '''...'''` strings of a Bicep file. */
export function bicepQueries(text: string): Array<{ name: string; text: string }> {
  return [...text.matchAll(/var (\w+Query) = '''([\s\S]*?)'''/g)].map((m) => ({ name: m[1]!, text: m[2]! }));
}

type WorkbookItem = { type: number; name: string; content: { query?: string; parameters?: Array<{ name: string; query?: string }>; visualization?: string; timeContextFromParameter?: string } };

/** The workbook's items and every query in it (its query steps and its query-fed parameters). */
export function workbookQueries(json: string): { items: WorkbookItem[]; queries: Array<{ name: string; text: string }> } {
  const workbook = JSON.parse(json) as { version: string; items: WorkbookItem[] };
  const queries = workbook.items.flatMap((item) => [
    ...(item.content.query === undefined ? [] : [{ name: item.name, text: item.content.query }]),
    ...(item.content.parameters ?? []).filter((p) => p.query !== undefined).map((p) => ({ name: `${item.name}.${p.name}`, text: p.query! })),
  ]);
  return { items: workbook.items, queries };
}

/** The README's ```kusto blocks. */
export function readmeQueries(readme: string): string[] {
  return [...readme.matchAll(/```kusto\n([\s\S]*?)```/g)].map((m) => m[1]!);
}
