export type JsonTextProblem = { path: string; message: string };

type ObjectFrame = { kind: 'object'; keys: Set<string>; key: string | undefined; expectKey: boolean };
type ArrayFrame = { kind: 'array'; index: number };
type Frame = ObjectFrame | ArrayFrame;

/**
 * A linear scan of JSON text, before JSON.parse or any recursive code sees it, for what a
 * parser accepts but we must not: nesting deeper than `maxDepth` (recursive walks of a
 * 10,000-level body overflow the stack), a key given twice in one object (JSON.parse keeps the
 * last, other readers the first, so two parts of a system could act on different values), and
 * `__proto__` or `constructor.prototype` keys (prototype pollution wherever a body is merged
 * into an object). The text need not be valid JSON: JSON.parse judges that afterwards; the
 * scan only has to finish in one pass, without recursion, whatever it is given.
 *
 * Returns the JSON path of the problem and what is wrong, or undefined.
 */
export function jsonTextProblem(text: string, maxDepth: number): JsonTextProblem | undefined {
  const stack: Frame[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      // A string: find its end, honouring escapes; keys are compared by their decoded value.
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const top = stack.at(-1);
      if (top?.kind === 'object' && top.expectKey) {
        const key = decodeString(text.slice(i, end + 1));
        if (key !== undefined) {
          const refused = keyProblem(stack, top, key);
          if (refused) return { path: pathOf(stack, key), message: refused };
          top.keys.add(key);
          top.key = key;
        }
        top.expectKey = false;
      }
      i = end + 1;
      continue;
    }
    if (c === '{' || c === '[') {
      if (stack.length >= maxDepth) return { path: pathOf(stack), message: `nested deeper than ${maxDepth} levels` };
      stack.push(c === '{' ? { kind: 'object', keys: new Set(), key: undefined, expectKey: true } : { kind: 'array', index: 0 });
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      const top = stack.at(-1);
      if (top?.kind === 'object') {
        top.expectKey = true;
        top.key = undefined;
      } else if (top) {
        top.index += 1;
      }
    }
    i += 1;
  }
  return undefined;
}

function keyProblem(stack: Frame[], top: ObjectFrame, key: string): string | undefined {
  if (key === '__proto__') return 'the key __proto__ is not accepted';
  const parent = stack.at(-2);
  if (key === 'prototype' && parent?.kind === 'object' && parent.key === 'constructor') return 'the key constructor.prototype is not accepted';
  if (top.keys.has(key)) return 'the key is given more than once';
  return undefined;
}

/** Where the scan is: each open container's current key or index; `key`, being read, stands for the innermost one's. */
function pathOf(stack: Frame[], key?: string): string {
  const frames = key === undefined ? stack : stack.slice(0, -1);
  const parts = frames.map((frame) => (frame.kind === 'array' ? `[${frame.index}]` : frame.key === undefined ? '' : `.${frame.key}`));
  const path = parts.join('') + (key === undefined ? '' : `.${key}`);
  return path.replace(/^\./, '') || '(body)';
}

/** `"a\u0062"` to `ab`; undefined for a string JSON.parse will refuse anyway. */
function decodeString(literal: string): string | undefined {
  try {
    const value: unknown = JSON.parse(literal);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
