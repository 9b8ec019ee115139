/**
 * Finds credentials in a value from outside: keys that name a secret, and strings shaped like a
 * connection string or a URL with a password. Pipelines name an app setting instead
 * (source.connectionSetting), so nothing secret is ever stored in a table.
 */
const secretKey = /^(password|passwd|pwd|secret|clientsecret|client_secret|connectionstring|connection_string|accountkey|sastoken|sas|apikey|api_key|token)$/i;
const connectionStringValue = /(^|;)\s*(password|pwd|accountkey|sharedaccesssignature|sharedaccesskey)\s*=/i;
const urlWithPassword = /^[a-z][a-z0-9+.-]*:\/\/[^/@\s:]+:[^/@\s]+@/i;

export type SecretFinding = { path: Array<string | number>; reason: string };

export function findSecrets(value: unknown, path: Array<string | number> = []): SecretFinding[] {
  if (typeof value === 'string') {
    if (connectionStringValue.test(value) || urlWithPassword.test(value)) {
      return [{ path, reason: 'looks like a connection string with a credential; store it in an app setting or Key Vault and name it in source.connectionSetting' }];
    }
    return [];
  }
  if (Array.isArray(value)) return value.flatMap((item, index) => findSecrets(item, [...path, index]));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) =>
      secretKey.test(key)
        ? [{ path: [...path, key], reason: `secrets are not accepted in a pipeline spec; store it in an app setting or Key Vault and name it in source.connectionSetting` }]
        : findSecrets(item, [...path, key]),
    );
  }
  return [];
}
