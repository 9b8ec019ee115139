import { NonRetryableError } from '../../errors/errorTypes.js';
import type { DeltaMode } from '../../spec/pipelineSpec.js';
import type { DeltaSnapshot } from './deltaLog.js';
import { parseSchemaString } from './deltaSchema.js';

/** Table features whose rules Siphon's writer follows ("Table Features", "Valid Feature Names in Table Features"). */
const knownReaderFeatures = new Set(['timestampNtz']);
const knownWriterFeatures = new Set(['timestampNtz', 'appendOnly', 'invariants']);

/**
 * Refuses to write a table whose protocol asks for what this writer does not do: "to write a
 * table, writers must implement and respect all features listed in writerFeatures" ("Table
 * Features"), and for writer versions 3 to 6 the features those versions imply ("Writer Version
 * Requirements") when the table uses them: CHECK constraints, generated or identity columns,
 * change data feed, column mapping. Deletion vectors are a feature too (refused with it). An
 * append-only table (`delta.appendOnly`) takes appends only; an invariant cannot be checked here.
 */
export function checkWritable(snapshot: DeltaSnapshot, mode: DeltaMode, where: string): void {
  const { protocol, metadata } = snapshot;
  if (!protocol || !metadata) {
    if (snapshot.version >= 0) throw new NonRetryableError(`${where}: the table's log has no ${protocol ? 'metaData' : 'protocol'} action`);
    return;
  }
  const refuse = (why: string) => {
    throw new NonRetryableError(`${where}: Siphon does not write this Delta table: ${why}`);
  };
  if (protocol.minReaderVersion > 3) refuse(`it needs reader version ${protocol.minReaderVersion}`);
  if (protocol.minWriterVersion > 7) refuse(`it needs writer version ${protocol.minWriterVersion}`);
  const unknownFeatures = [
    ...(protocol.minReaderVersion === 3 ? (protocol.readerFeatures ?? []).filter((feature) => !knownReaderFeatures.has(feature)) : []),
    ...(protocol.minWriterVersion === 7 ? (protocol.writerFeatures ?? []).filter((feature) => !knownWriterFeatures.has(feature)) : []),
  ];
  if (unknownFeatures.length) refuse(`it uses table features ${[...new Set(unknownFeatures)].join(', ')}`);
  const configuration = metadata.configuration;
  const columnMapping = configuration['delta.columnMapping.mode'];
  if (protocol.minReaderVersion === 2 || (columnMapping !== undefined && columnMapping !== 'none')) refuse('it uses column mapping');
  if (protocol.minWriterVersion >= 3 && protocol.minWriterVersion <= 6) {
    if (Object.keys(configuration).some((key) => key.startsWith('delta.constraints.'))) refuse('it has CHECK constraints');
    if (configuration['delta.enableChangeDataFeed'] === 'true') refuse('it has the change data feed enabled');
  }
  const fields = parseSchemaString(metadata.schemaString);
  const annotated = fields.filter((entry) => Object.keys(entry.metadata).some((key) => key === 'delta.invariants' || key === 'delta.generationExpression' || key.startsWith('delta.identity.')));
  if (annotated.length) refuse(`columns ${annotated.map((entry) => `"${entry.name}"`).join(', ')} carry invariants, generation expressions or identity settings`);
  if ([...snapshot.files.values()].some((file) => file.deletionVector)) refuse('files of it have deletion vectors');
  if (mode !== 'append' && configuration['delta.appendOnly'] === 'true') refuse(`it is append-only (delta.appendOnly) and the pipeline's mode is ${mode}`);
}
