/**
 * Hides credentials inside any text before it is logged, stored or returned.
 * Connection strings reach error messages (driver errors quote them), so every
 * error passes through here on its way out.
 */
const keyValueSecrets = /\b(password|pwd|accountkey|sharedaccesskey|sharedaccesssignature|sig|client_secret|clientsecret)\s*=\s*[^;&\s"']*/gi;
const urlUserInfo = /\b([a-z][a-z0-9+.-]*:\/\/)([^/@\s:]+):([^/@\s]*)@/gi;

export const hiddenCredential = '[Hidden Credential]';

export function scrubSecrets(text: string): string {
  return text
    .replace(keyValueSecrets, (_match, key: string) => `${key}=${hiddenCredential}`)
    .replace(urlUserInfo, (_match, scheme: string, user: string) => `${scheme}${user}:${hiddenCredential}@`);
}
