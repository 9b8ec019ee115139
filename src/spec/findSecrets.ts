/**
 * Finds credentials in a value from outside (a pipeline spec): keys that name a secret, and any
 * string, free text included, holding a credential's shape. Pipelines name an app setting instead
 * (source.connectionSetting), so nothing secret is ever stored in a table.
 *
 * False positives are kept low by matching a credential's syntax, not a word: a column named
 * `password` or `password_hash` has no `=` and no value after it, so it is never flagged; a SQL
 * comparison such as `u.password = p.hash` in a query's code is not either (see passwordInCode).
 */
const secretKey = /^(password|passwd|pwd|secret|clientsecret|client_secret|connectionstring|connection_string|accountkey|sastoken|sas|apikey|api_key|token)$/i;

type Shape = { pattern: RegExp; what: string };

const connectionString = 'looks like a connection string with a credential';
/** Anything may precede a key but a word character, a dot or a `$` (`u.password`, `my_pwd`). */
const keyStart = '(?<![\\w.$])';

/** A password in key=value text (libpq `host=db password=x`, ADO `Password = x;`, a dblink string). */
const passwordAnyValue: Shape = { pattern: new RegExp(`${keyStart}(password|passwd|pwd)\\s*=\\s*[^\\s;'"]`, 'i'), what: `${connectionString} (password=, pwd= or passwd=)` };

/**
 * The same in SQL code, where `password = other_column` is a comparison, not a credential: only
 * `password=value` written without spaces or `password = 'literal'` count. Comments and string
 * literals of a query are text, and get passwordAnyValue.
 */
const passwordInCode: Shape = {
  pattern: new RegExp(`${keyStart}(password|passwd|pwd)(=[^\\s=;'"]|\\s*=\\s*'[^']+'|\\s*=\\s*"[^"]+")`, 'i'),
  what: `${connectionString} (password=, pwd= or passwd=)`,
};

const shapes: Shape[] = [
  { pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]+:[^\s/?#@]+@/i, what: `${connectionString} (a URL with user:password@)` },
  { pattern: new RegExp(`${keyStart}(accountkey|sharedaccesskey|sharedaccesssignature|client_?secret|api_?key|access_?token)\\s*=\\s*[^\\s;'"]`, 'i'), what: `${connectionString} (AccountKey=, SharedAccessKey=, SharedAccessSignature=, client_secret=, api_key= or access_token=)` },
  { pattern: /(?<![\w.$])sig=[A-Za-z0-9%+/=_-]{8,}/i, what: 'holds a SAS token signature (sig=)' },
  { pattern: /\bAuthorization\s*:\s*(Bearer|Basic|Digest|Negotiate|SharedKey)\s+\S/i, what: 'holds an Authorization header' },
  // A token has digits and is long; "bearer bonds" is neither.
  { pattern: /\bBearer\s+(?=[A-Za-z0-9._~+/-]*\d)[A-Za-z0-9._~+/-]{16,}/i, what: 'holds a bearer token' },
  { pattern: /\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/, what: 'holds a JSON Web Token' },
  { pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/, what: 'holds a private key' },
];

const advice = 'secrets are not accepted in a pipeline spec; store it in an app setting or Key Vault and name it in source.connectionSetting';

/** Deeper than any spec; a value nested further is refused rather than walked. */
export const maxSecretScanDepth = 32;

export type SecretFinding = { path: Array<string | number>; reason: string };

/**
 * Every finding, in document order. Iterative, so no input can exhaust the stack; a value nested
 * deeper than maxSecretScanDepth is a finding of its own.
 */
export function findSecrets(value: unknown, path: Array<string | number> = []): SecretFinding[] {
  const findings: SecretFinding[] = [];
  const stack: Array<{ value: unknown; path: Array<string | number> }> = [{ value, path }];
  while (stack.length) {
    const item = stack.pop()!;
    if (typeof item.value === 'string') {
      const what = credentialIn(item.value, item.path.at(-1) === 'query');
      if (what) findings.push({ path: item.path, reason: `${what}; ${advice}` });
      continue;
    }
    if (!item.value || typeof item.value !== 'object') continue;
    if (item.path.length >= maxSecretScanDepth) {
      findings.push({ path: item.path, reason: `nested more than ${maxSecretScanDepth} levels deep; a pipeline spec is never that deep` });
      continue;
    }
    const children: Array<{ value: unknown; path: Array<string | number> }> = [];
    if (Array.isArray(item.value)) {
      item.value.forEach((child, index) => children.push({ value: child, path: [...item.path, index] }));
    } else {
      for (const [key, child] of Object.entries(item.value)) {
        if (secretKey.test(key)) findings.push({ path: [...item.path, key], reason: advice });
        else children.push({ value: child, path: [...item.path, key] });
      }
    }
    // Keys flagged above are reported before their siblings' contents; the rest in order.
    stack.push(...children.reverse());
  }
  return findings;
}

/** What credential a string holds, or undefined. A query's code is read as SQL (see passwordInCode). */
export function credentialIn(text: string, isSql = false): string | undefined {
  for (const shape of shapes) if (shape.pattern.test(text)) return shape.what;
  if (!isSql) return passwordAnyValue.pattern.test(text) ? passwordAnyValue.what : undefined;
  if (passwordInCode.pattern.test(text)) return passwordInCode.what;
  return sqlTextParts(text).some((part) => passwordAnyValue.pattern.test(part)) ? passwordAnyValue.what : undefined;
}

/**
 * The comments (`-- ...`, `/* ... *\/`) and string literals (`'...'`, `$tag$...$tag$`) of a SQL
 * text: the parts that are free text, not code. A rough split for this scan only; the query's
 * own checks parse it properly.
 */
function sqlTextParts(sql: string): string[] {
  const parts: string[] = [];
  const pattern = /--[^\n]*|\/\*[\s\S]*?(?:\*\/|$)|'(?:[^']|'')*(?:'|$)|(\$[A-Za-z_]*\$)[\s\S]*?(?:\1|$)/g;
  for (const match of sql.matchAll(pattern)) parts.push(match[0]);
  return parts;
}
