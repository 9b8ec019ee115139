/**
 * Just enough of Bicep's syntax to check the templates without the Bicep CLI (which cannot be
 * installed on our machines): comments, string literals with `${}` interpolation, multi-line
 * `'''` strings, bracket matching, and the declarations the infra tests look at.
 *
 * Everything works on a "code view" of the text: the same length, comments and string contents
 * blanked out (interpolated expressions kept), so a regex or a bracket count never trips over a
 * `{` or a word inside a string or a comment. Literal values are then read from the original text
 * at the same offsets.
 */

type Mode = 'code' | 'string' | 'interpolation';

export function codeView(text: string): string {
  const out = text.split('');
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  const stack: Mode[] = ['code'];
  const braceDepth: number[] = [];
  let i = 0;
  while (i < text.length) {
    const mode = stack[stack.length - 1]!;
    const c = text[i]!;
    if (mode === 'string') {
      if (c === '\\') {
        blank(i, i + 2);
        i += 2;
      } else if (c === "'") {
        stack.pop();
        i += 1;
      } else if (text.startsWith('${', i)) {
        stack.push('interpolation');
        braceDepth.push(0);
        i += 2;
      } else {
        blank(i, i + 1);
        i += 1;
      }
      continue;
    }
    // code or interpolation
    if (text.startsWith("'''", i)) {
      const end = text.indexOf("'''", i + 3);
      const stop = end < 0 ? text.length : end;
      blank(i + 3, stop);
      i = stop + 3;
    } else if (c === "'") {
      stack.push('string');
      i += 1;
    } else if (text.startsWith('//', i)) {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      blank(i, stop);
      i = stop;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      blank(i, stop);
      i = stop;
    } else {
      if (mode === 'interpolation') {
        if (c === '{') braceDepth[braceDepth.length - 1]! += 1;
        if (c === '}') {
          if (braceDepth[braceDepth.length - 1] === 0) {
            braceDepth.pop();
            stack.pop();
          } else {
            braceDepth[braceDepth.length - 1]! -= 1;
          }
        }
      }
      i += 1;
    }
  }
  return out.join('');
}

const pairs: Record<string, string> = { '{': '}', '[': ']', '(': ')' };

/** The offset of the bracket that closes the one at `open` (code view offsets). */
export function matchingClose(code: string, open: number): number {
  const opener = code[open]!;
  const closer = pairs[opener];
  if (!closer) throw new Error(`No bracket at offset ${open}`);
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    if (code[i] === opener) depth++;
    else if (code[i] === closer && --depth === 0) return i;
  }
  throw new Error(`Bracket at offset ${open} is never closed`);
}

/** Keys of the object literal whose braces are at `open` and `close`, at its own level only. */
export function objectKeys(code: string, open: number, close: number): string[] {
  return objectEntries(code, open, close).map((entry) => entry.key);
}

/** Keys of an object literal at its own level, each with the offset where its value starts. */
export function objectEntries(code: string, open: number, close: number): Array<{ key: string; valueStart: number }> {
  const entries: Array<{ key: string; valueStart: number }> = [];
  let depth = 0;
  let lineStart = true;
  for (let i = open + 1; i < close; i++) {
    const c = code[i]!;
    if (lineStart && depth === 0) {
      const key = /^[ \t]*([A-Za-z_]\w*)[ \t]*:[ \t]*/.exec(code.slice(i, Math.min(lineEnd(code, i), close)));
      if (key) entries.push({ key: key[1]!, valueStart: i + key[0].length });
    }
    lineStart = c === '\n';
    if (c === '{' || c === '[' || c === '(') depth++;
    if (c === '}' || c === ']' || c === ')') depth--;
  }
  return entries;
}

export type BicepParam = { name: string; type: string; defaultText?: string; secure: boolean; line: number };

/** `param` declarations: name, type, the default's text (if any) and whether `@secure()` precedes it. */
export function params(text: string): BicepParam[] {
  const code = codeView(text);
  const found: BicepParam[] = [];
  for (const match of code.matchAll(/^[ \t]*param[ \t]+([A-Za-z_]\w*)[ \t]+([A-Za-z_]\w*)[ \t]*(=)?/gm)) {
    const start = match.index;
    let defaultText: string | undefined;
    if (match[3]) {
      const valueStart = start + match[0].length;
      const firstNonSpace = valueStart + (code.slice(valueStart).length - code.slice(valueStart).trimStart().length);
      const opener = code[firstNonSpace]!;
      const end = pairs[opener] ? matchingClose(code, firstNonSpace) + 1 : lineEnd(code, valueStart);
      defaultText = text.slice(valueStart, end).trim();
    }
    // A decorator belongs to the next declaration: @secure() counts if no declaration sits between.
    const secureAt = code.lastIndexOf('@secure()', start);
    const secure = secureAt >= 0 && !/^[ \t]*(?:param|var|resource|module|output)\b/m.test(code.slice(secureAt, start));
    found.push({ name: match[1]!, type: match[2]!, defaultText, secure, line: lineOf(text, start) });
  }
  return found;
}

export type BicepModule = { symbol: string; path: string; params: string[]; paramsText: string; line: number };

/** `module` declarations: symbolic name, file path and the keys of their `params` object. */
export function modules(text: string): BicepModule[] {
  const code = codeView(text);
  const found: BicepModule[] = [];
  for (const match of code.matchAll(/^[ \t]*module[ \t]+([A-Za-z_]\w*)[ \t]+'/gm)) {
    const pathStart = match.index + match[0].length;
    const path = text.slice(pathStart, text.indexOf("'", pathStart));
    const body = bodyAfter(code, pathStart);
    const paramsEntry = objectEntries(code, body.open, body.close).find((entry) => entry.key === 'params');
    let paramNames: string[] = [];
    let paramsText = '';
    if (paramsEntry && code[paramsEntry.valueStart] === '{') {
      const close = matchingClose(code, paramsEntry.valueStart);
      paramNames = objectKeys(code, paramsEntry.valueStart, close);
      paramsText = text.slice(paramsEntry.valueStart, close + 1);
    }
    found.push({ symbol: match[1]!, path, params: paramNames, paramsText, line: lineOf(text, match.index) });
  }
  return found;
}

export type BicepResource = { symbol: string; type: string; existing: boolean; body: string; bodyCode: string; line: number };

/** `resource` declarations with their body (the object, or the loop's object). */
export function resources(text: string): BicepResource[] {
  const code = codeView(text);
  const found: BicepResource[] = [];
  for (const match of code.matchAll(/^[ \t]*resource[ \t]+([A-Za-z_]\w*)[ \t]+'/gm)) {
    const typeStart = match.index + match[0].length;
    const type = text.slice(typeStart, text.indexOf("'", typeStart));
    const afterType = code.slice(text.indexOf("'", typeStart) + 1, code.indexOf('=', typeStart));
    const body = bodyAfter(code, typeStart);
    found.push({
      symbol: match[1]!,
      type,
      existing: /\bexisting\b/.test(afterType),
      body: text.slice(body.open, body.close + 1),
      bodyCode: code.slice(body.open, body.close + 1),
      line: lineOf(text, match.index),
    });
  }
  return found;
}

/** The original text of `var <name> = <expression>` (the whole bracketed expression). */
export function variableText(text: string, name: string): string | undefined {
  const code = codeView(text);
  const match = new RegExp(`^[ \\t]*var[ \\t]+${name}[ \\t]*=[ \\t]*`, 'm').exec(code);
  if (!match) return undefined;
  const start = match.index + match[0].length;
  const opener = code.slice(start).search(/[[{(]/);
  const firstBracket = start + opener;
  // `concat(`, `[for ...`, `{`: the expression runs to the bracket that closes its first one.
  if (opener >= 0 && code.slice(start, firstBracket).trim().match(/^[A-Za-z_]*$/)) {
    return text.slice(start, matchingClose(code, firstBracket) + 1);
  }
  return text.slice(start, lineEnd(code, start)).trim();
}

/** How often an identifier is used as code (not in strings or comments), declarations excluded. */
export function identifierUses(text: string, name: string): number {
  const code = codeView(text);
  // An object key (`name:` first on its line) is not a use; `cond ? name : other` is.
  const uses = [...code.matchAll(new RegExp(`(?<![\\w.])${name}\\b`, 'g'))].filter((use) => {
    const lineStart = code.lastIndexOf('\n', use.index) + 1;
    const isKey = code.slice(lineStart, use.index).trim() === '' && /^\s*:/.test(code.slice(use.index + name.length));
    return !isKey;
  });
  const declarations = [...code.matchAll(new RegExp(`^[ \\t]*(?:param|var|output|resource|module)[ \\t]+${name}\\b`, 'gm'))];
  return uses.length - declarations.length;
}

function bodyAfter(code: string, from: number): { open: number; close: number } {
  const equals = code.indexOf('=', from);
  // Skip a condition `if (...)` and a loop header `[for ... :` to reach the object.
  let open = code.indexOf('{', equals);
  const ifMatch = /^[ \t]*if[ \t]*\(/.exec(code.slice(equals + 1));
  if (ifMatch) open = code.indexOf('{', matchingClose(code, equals + 1 + ifMatch[0].length - 1));
  return { open, close: matchingClose(code, open) };
}

function lineEnd(code: string, from: number): number {
  const end = code.indexOf('\n', from);
  return end < 0 ? code.length : end;
}

function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}
