import { engines } from '../../spec/pipelineSpec.js';
import { CheckboxField, NumberField, SelectField, TextField } from './fields.js';
import { useForm } from './formContext.js';
import { engineLabels, engineOf } from './sourcePaths.js';

/**
 * Where a pipeline or a query job reads from. The connection is named by an app setting, never
 * given: the schema refuses secrets, and the API refuses a name outside SIPHON_SOURCE_.
 */
export function SourceFields({ onEngine }: { onEngine: (engine: string | undefined) => void }) {
  const form = useForm();
  const engine = engineOf(form.draft);
  return (
    <fieldset>
      <legend>Source</legend>
      <div class="grid">
        <SelectField path="source.engine" choices={engines.map((value) => ({ value, label: engineLabels[value] }))} unset="Choose an engine" onPick={onEngine} />
        <TextField
          path="source.connectionSetting"
          placeholder="SIPHON_SOURCE_SALES"
          spellcheck={false}
          hint="The name of the app setting that holds the connection string (starting with SIPHON_SOURCE_), not the connection string."
        />
        <NumberField path="source.statementTimeoutSeconds" placeholder="3600" hint="The longest one statement may run. Default 3,600." />
        <NumberField path="source.lockTimeoutSeconds" placeholder="30" hint="The longest a statement may wait for a lock. Default 30." />
      </div>
      {engine === 'sqlserver' ? (
        <fieldset class="nested">
          <legend>SQL Server</legend>
          <div class="grid">
            <SelectField
              path="source.authentication"
              choices={[{ value: 'sql', label: 'SQL login (from the connection string)' }, { value: 'entraId', label: "Entra ID (the app's managed identity)" }]}
              fallback="sql"
            />
            <NumberField path="source.packetSize" placeholder="32767" hint="512 to 32,767. Larger packets mean fewer round trips for wide rows." />
            <CheckboxField path="source.encrypt" fallback={true} />
            <CheckboxField path="source.trustServerCertificate" fallback={false} hint="Only for a server whose certificate cannot be validated (a test server)." />
          </div>
        </fieldset>
      ) : null}
    </fieldset>
  );
}
