/**
 * Hides credentials inside any text before it is logged, stored or returned.
 * Connection strings reach error messages (driver errors quote them), so every
 * error passes through here on its way out.
 */
const secretNames = 'password|pwd|accountkey|sharedaccesskey|sharedaccesssignature|client_secret|clientsecret';
// In a connection string a quoted value runs to its closing quote and an unquoted one to the next
// `;` (spaces included: hiding a little too much beats leaking the rest of a password).
const keyValueSecrets = new RegExp(`\\b(${secretNames})\\s*=\\s*(?:'[^']*'|"[^"]*"|[^;&"'\\r\\n]*)`, 'gi');
// A SAS signature sits in a URL query, which ends at whitespace.
const sasSignature = /\b(sig)=[^&\s"']*/gi;
const jsonSecrets = new RegExp(`"(${secretNames})"\\s*:\\s*"(?:[^"\\\\]|\\\\.)*"`, 'gi');
const urlUserInfo = /\b([a-z][a-z0-9+.-]*:\/\/)([^/@\s:]+):([^/@\s]*)@/gi;

export const hiddenCredential = '[Hidden Credential]';

export function scrubSecrets(text: string): string {
  return text
    .replace(keyValueSecrets, (_match, key: string) => `${key}=${hiddenCredential}`)
    .replace(sasSignature, (_match, key: string) => `${key}=${hiddenCredential}`)
    .replace(jsonSecrets, (_match, key: string) => `"${key}":"${hiddenCredential}"`)
    .replace(urlUserInfo, (_match, scheme: string, user: string) => `${scheme}${user}:${hiddenCredential}@`);
}
