import { createToken, EmbeddedActionsParser, Lexer, type IParserErrorMessageProvider, type IToken, type TokenType } from 'chevrotain';
import { functionArity } from './functionArity.js';
import type { BinaryOperator, CastTypeName, LiteralKind, SyntaxNode } from './syntaxTree.js';

/**
 * The expression language's grammar (SQL-flavoured, keywords in any case), parsed by chevrotain:
 * an LL(k) parser built from this code at start-up, with token positions and no code generation
 * or eval. Precedence, loosest first: or, and, not, comparisons (= <> != < <= > >=, is [not]
 * null, [not] in, [not] between), ||, + -, * / %, unary -.
 *
 * Limits hold against hostile specs, and are checked before the parser recurses: the text's
 * length, the nesting depth (from the tokens, so 4,000 opening brackets never reach the
 * recursive parser), then the node count and literal sizes while the tree is built.
 */
export const expressionLimits = { textLength: 4_000, depth: 64, nodes: 2_000, numberDigits: 100, stringLength: 1_000 } as const;

export type SyntaxProblem = { position: number; message: string };

const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: 'a name' });
const keyword = (word: string) => createToken({ name: word.toUpperCase(), pattern: new RegExp(word, 'i'), longer_alt: Identifier, label: word });
const And = keyword('and'), Or = keyword('or'), Not = keyword('not'), Is = keyword('is'), Null = keyword('null'), In = keyword('in');
const Between = keyword('between'), Case = keyword('case'), When = keyword('when'), Then = keyword('then'), Else = keyword('else'), End = keyword('end');
const True = keyword('true'), False = keyword('false'), DateWord = keyword('date'), TimestampWord = keyword('timestamp'), Cast = keyword('cast'), As = keyword('as');
const op = (name: string, pattern: RegExp | string, label: string) => createToken({ name, pattern, label });
const NotEqual = op('NotEqual', /<>|!=/, '<>'), LessEqual = op('LessEqual', '<=', '<='), GreaterEqual = op('GreaterEqual', '>=', '>=');
const Less = op('Less', '<', '<'), Greater = op('Greater', '>', '>'), Equal = op('Equal', '=', '=');
const Concat = op('Concat', '||', '||'), Plus = op('Plus', '+', '+'), Minus = op('Minus', '-', '-');
const Star = op('Star', '*', '*'), Slash = op('Slash', '/', '/'), Percent = op('Percent', '%', '%');
const LParen = op('LParen', '(', '('), RParen = op('RParen', ')', ')'), Comma = op('Comma', ',', ',');
const DecimalNumber = op('DecimalNumber', /\d+\.\d*|\.\d+/, 'a number');
const IntegerNumber = op('IntegerNumber', /\d+/, 'a number');
const StringLiteral = op('StringLiteral', /'(?:[^']|'')*'/, 'a string');
const QuotedName = op('QuotedName', /"(?:[^"]|"")*"/, 'a quoted name');
const Whitespace = createToken({ name: 'Whitespace', pattern: /\s+/, group: Lexer.SKIPPED });

const keywords = [And, Or, Not, Is, Null, In, Between, Case, When, Then, Else, End, True, False, DateWord, TimestampWord, Cast, As];
const allTokens: TokenType[] = [
  Whitespace, ...keywords, Identifier, DecimalNumber, IntegerNumber, StringLiteral, QuotedName,
  NotEqual, LessEqual, GreaterEqual, Less, Greater, Equal, Concat, Plus, Minus, Star, Slash, Percent, LParen, RParen, Comma,
];
const lexer = new Lexer(allTokens, { positionTracking: 'onlyOffset', ensureOptimizations: false });

const atEnd = (token: IToken | undefined) => !token || token.tokenType.name === 'EOF';
const shown = (token: IToken | undefined) => (atEnd(token) ? 'the end of the expression' : `"${token!.image}"`);
const unexpected = (token: IToken | undefined) => (atEnd(token) ? 'unexpected end of the expression' : `unexpected "${token!.image}"`);
const labelOf = (type: TokenType) => type.LABEL ?? type.name;

/** Short messages in the words of the language rather than chevrotain's token names. */
const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, actual }) => `expected ${labelOf(expected)} but found ${shown(actual)}`,
  buildNotAllInputParsedMessage: ({ firstRedundant }) => `${unexpected(firstRedundant)} after a complete expression`,
  buildNoViableAltMessage: ({ actual }) => unexpected(actual[0]),
  buildEarlyExitMessage: ({ actual }) => unexpected(actual[0]),
};

/** Thrown inside the parser's actions to stop at the first breach of a limit. */
class LimitBreach extends Error {
  constructor(readonly problem: SyntaxProblem) {
    super(problem.message);
  }
}

const comparisonOf = (token: IToken): BinaryOperator => (token.tokenType === NotEqual ? '<>' : (token.image as BinaryOperator));

class ExpressionParser extends EmbeddedActionsParser {
  private nodeCount = 0;

  constructor() {
    super(allTokens, { recoveryEnabled: false, maxLookahead: 3, errorMessageProvider: messages });
    this.performSelfAnalysis();
  }

  start(): void {
    this.nodeCount = 0;
  }

  private node(make: () => SyntaxNode, at: IToken | SyntaxNode): SyntaxNode {
    return this.ACTION(() => {
      if (++this.nodeCount > expressionLimits.nodes) throw new LimitBreach({ position: positionOf(at), message: `more than ${expressionLimits.nodes} parts in one expression` });
      return make();
    });
  }

  readonly expression = this.RULE('expression', (): SyntaxNode => {
    let left = this.SUBRULE(this.conjunction);
    this.MANY(() => {
      this.CONSUME(Or);
      const right = this.SUBRULE2(this.conjunction);
      const l = left;
      left = this.node(() => ({ kind: 'binary', operator: 'or', left: l, right, position: l.position }), right);
    });
    return left;
  });

  private readonly conjunction = this.RULE('conjunction', (): SyntaxNode => {
    let left = this.SUBRULE(this.negation);
    this.MANY(() => {
      this.CONSUME(And);
      const right = this.SUBRULE2(this.negation);
      const l = left;
      left = this.node(() => ({ kind: 'binary', operator: 'and', left: l, right, position: l.position }), right);
    });
    return left;
  });

  private readonly negation = this.RULE('negation', (): SyntaxNode => this.OR([
    {
      ALT: () => {
        const not = this.CONSUME(Not);
        const operand = this.SUBRULE(this.negation);
        return this.node(() => ({ kind: 'not', operand, position: positionOf(not) }), not);
      },
    },
    { ALT: () => this.SUBRULE(this.predicate) },
  ]));

  private readonly predicate = this.RULE('predicate', (): SyntaxNode => {
    const operand = this.SUBRULE(this.concatenation);
    let result = operand;
    this.OPTION(() => {
      result = this.OR([
        {
          ALT: () => {
            const token = this.OR2([
              { ALT: () => this.CONSUME(Equal) }, { ALT: () => this.CONSUME(NotEqual) }, { ALT: () => this.CONSUME(LessEqual) },
              { ALT: () => this.CONSUME(GreaterEqual) }, { ALT: () => this.CONSUME(Less) }, { ALT: () => this.CONSUME(Greater) },
            ]);
            const right = this.SUBRULE2(this.concatenation);
            return this.node(() => ({ kind: 'binary', operator: comparisonOf(token), left: operand, right, position: operand.position }), right);
          },
        },
        {
          ALT: () => {
            this.CONSUME(Is);
            const negated = this.OPTION2(() => this.CONSUME2(Not)) !== undefined;
            this.CONSUME(Null);
            return this.node(() => ({ kind: 'isNull', negated, operand, position: operand.position }), operand);
          },
        },
        {
          ALT: () => {
            const negated = this.OPTION3(() => this.CONSUME3(Not)) !== undefined;
            return this.OR3([
              {
                ALT: () => {
                  this.CONSUME(In);
                  this.CONSUME(LParen);
                  const list: SyntaxNode[] = [];
                  this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => { list.push(this.SUBRULE3(this.concatenation)); } });
                  this.CONSUME(RParen);
                  return this.node(() => ({ kind: 'in', negated, operand, list, position: operand.position }), operand);
                },
              },
              {
                ALT: () => {
                  this.CONSUME(Between);
                  const low = this.SUBRULE4(this.concatenation);
                  this.CONSUME(And);
                  const high = this.SUBRULE5(this.concatenation);
                  return this.node(() => ({ kind: 'between', negated, operand, low, high, position: operand.position }), operand);
                },
              },
            ]);
          },
        },
      ]);
    });
    return result;
  });

  private readonly concatenation = this.RULE('concatenation', (): SyntaxNode => {
    let left = this.SUBRULE(this.additive);
    this.MANY(() => {
      this.CONSUME(Concat);
      const right = this.SUBRULE2(this.additive);
      const l = left;
      left = this.node(() => ({ kind: 'binary', operator: '||', left: l, right, position: l.position }), right);
    });
    return left;
  });

  private readonly additive = this.RULE('additive', (): SyntaxNode => {
    let left = this.SUBRULE(this.multiplicative);
    this.MANY(() => {
      const sign = this.OR([{ ALT: () => this.CONSUME(Plus) }, { ALT: () => this.CONSUME(Minus) }]);
      const right = this.SUBRULE2(this.multiplicative);
      const l = left;
      left = this.node(() => ({ kind: 'binary', operator: sign.image as BinaryOperator, left: l, right, position: l.position }), right);
    });
    return left;
  });

  private readonly multiplicative = this.RULE('multiplicative', (): SyntaxNode => {
    let left = this.SUBRULE(this.unary);
    this.MANY(() => {
      const operator = this.OR([{ ALT: () => this.CONSUME(Star) }, { ALT: () => this.CONSUME(Slash) }, { ALT: () => this.CONSUME(Percent) }]);
      const right = this.SUBRULE2(this.unary);
      const l = left;
      left = this.node(() => ({ kind: 'binary', operator: operator.image as BinaryOperator, left: l, right, position: l.position }), right);
    });
    return left;
  });

  private readonly unary = this.RULE('unary', (): SyntaxNode => this.OR([
    {
      ALT: () => {
        const minus = this.CONSUME(Minus);
        const operand = this.SUBRULE(this.unary);
        return this.node(() => ({ kind: 'negate', operand, position: positionOf(minus) }), minus);
      },
    },
    { ALT: () => this.SUBRULE(this.primary) },
  ]));

  private readonly primary = this.RULE('primary', (): SyntaxNode => this.OR([
    { ALT: () => this.literal(this.CONSUME(IntegerNumber), 'integer') },
    { ALT: () => this.literal(this.CONSUME(DecimalNumber), 'decimal') },
    { ALT: () => this.literal(this.CONSUME(StringLiteral), 'string') },
    { ALT: () => this.literal(this.CONSUME(True), 'boolean') },
    { ALT: () => this.literal(this.CONSUME(False), 'boolean') },
    { ALT: () => this.literal(this.CONSUME(Null), 'null') },
    { ALT: () => this.SUBRULE(this.dateOrTimestamp) },
    { ALT: () => this.SUBRULE(this.caseExpression) },
    { ALT: () => this.SUBRULE(this.castExpression) },
    { ALT: () => this.SUBRULE(this.nameOrCall) },
    {
      ALT: () => {
        const name = this.CONSUME(QuotedName);
        return this.node(() => ({ kind: 'column', name: name.image.slice(1, -1).replaceAll('""', '"'), position: positionOf(name) }), name);
      },
    },
    {
      ALT: () => {
        this.CONSUME(LParen);
        const inner = this.SUBRULE(this.expression);
        this.CONSUME(RParen);
        return inner;
      },
    },
  ]));

  /** `date '2024-05-01'`, `date(ts)`, or a column named date (likewise timestamp). */
  private readonly dateOrTimestamp = this.RULE('dateOrTimestamp', (): SyntaxNode => {
    const word = this.OR([{ ALT: () => this.CONSUME(DateWord) }, { ALT: () => this.CONSUME(TimestampWord) }]);
    return this.OR2([
      { ALT: () => this.literal(this.CONSUME(StringLiteral), 'date', word) },
      { ALT: () => this.callArguments(word) },
      { ALT: () => this.node(() => ({ kind: 'column', name: word.image, position: positionOf(word) }), word) },
    ]);
  });

  private readonly nameOrCall = this.RULE('nameOrCall', (): SyntaxNode => {
    const name = this.CONSUME(Identifier);
    return this.OR([
      { ALT: () => this.callArguments(name) },
      { ALT: () => this.node(() => ({ kind: 'column', name: name.image, position: positionOf(name) }), name) },
    ]);
  });

  private callArguments(nameToken: IToken): SyntaxNode {
    this.CONSUME(LParen);
    const args: SyntaxNode[] = [];
    this.MANY_SEP({ SEP: Comma, DEF: () => { args.push(this.SUBRULE(this.expression)); } });
    this.CONSUME(RParen);
    return this.node(() => {
      const name = nameToken.image.toLowerCase();
      const arity = functionArity.get(name);
      const position = positionOf(nameToken);
      if (!arity) throw new LimitBreach({ position, message: `unknown function ${name}` });
      const [min, max] = arity;
      if (args.length < min || args.length > max) {
        const wanted = min === max ? `${min}` : max >= 100 ? `at least ${min}` : `${min} or ${max}`;
        throw new LimitBreach({ position, message: `${name} takes ${wanted} argument${min === 1 && max === 1 ? '' : 's'}, not ${args.length}` });
      }
      return { kind: 'call', name, args, position };
    }, nameToken);
  }

  private readonly caseExpression = this.RULE('caseExpression', (): SyntaxNode => {
    const start = this.CONSUME(Case);
    const whens: Array<{ when: SyntaxNode; then: SyntaxNode }> = [];
    this.AT_LEAST_ONE(() => {
      this.CONSUME(When);
      const when = this.SUBRULE(this.expression);
      this.CONSUME(Then);
      const then = this.SUBRULE2(this.expression);
      whens.push({ when, then });
    });
    const otherwise = this.OPTION(() => {
      this.CONSUME(Else);
      return this.SUBRULE3(this.expression);
    });
    this.CONSUME(End);
    return this.node(() => ({ kind: 'case', whens, otherwise, position: positionOf(start) }), start);
  });

  private readonly castExpression = this.RULE('castExpression', (): SyntaxNode => {
    const start = this.CONSUME(Cast);
    this.CONSUME(LParen);
    const operand = this.SUBRULE(this.expression);
    this.CONSUME(As);
    const typeWord = this.OR([{ ALT: () => this.CONSUME(Identifier) }, { ALT: () => this.CONSUME(DateWord) }, { ALT: () => this.CONSUME(TimestampWord) }]);
    const numbers: IToken[] = [];
    this.OPTION(() => {
      this.CONSUME2(LParen);
      this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => { numbers.push(this.CONSUME(IntegerNumber)); } });
      this.CONSUME2(RParen);
    });
    this.CONSUME(RParen);
    return this.node(() => {
      const type = castTypeOf(typeWord.image.toLowerCase(), numbers.map((token) => token.image));
      if (typeof type === 'string') throw new LimitBreach({ position: positionOf(typeWord), message: type });
      return { kind: 'cast', operand, type, position: positionOf(start) };
    }, start);
  });

  private literal(token: IToken, literal: LiteralKind, start: IToken = token): SyntaxNode {
    return this.node(() => {
      let text = token.image;
      if (literal === 'integer' || literal === 'decimal') {
        const digits = text.replace('.', '').length;
        if (digits > expressionLimits.numberDigits) throw new LimitBreach({ position: positionOf(token), message: `a number of ${digits} digits, more than ${expressionLimits.numberDigits}` });
      } else if (literal === 'string' || literal === 'date') {
        // A date or timestamp literal: which one is the word before the string.
        if (literal === 'date' && start.tokenType === TimestampWord) literal = 'timestamp';
        text = text.slice(1, -1).replaceAll("''", "'");
        if (text.length > expressionLimits.stringLength) throw new LimitBreach({ position: positionOf(token), message: `a string of ${text.length} characters, more than ${expressionLimits.stringLength}` });
      } else {
        text = text.toLowerCase();
      }
      return { kind: 'literal', literal, text, position: positionOf(start) };
    }, start);
  }
}

/** The type words of cast: the output types' names, with `timestamptz` for an instant. */
export function castTypeOf(word: string, numbers: string[]): CastTypeName | string {
  if (word === 'decimal' || word === 'numeric') {
    const [precision, scale = 0] = numbers.map(Number);
    if (precision === undefined || numbers.length > 2 || precision < 1 || precision > 1000 || scale > precision) return 'decimal takes (precision, scale): precision 1 to 1000, scale 0 to the precision';
    return { kind: 'decimal', precision, scale };
  }
  if (numbers.length) return `${word} takes no size`;
  switch (word) {
    case 'int16': case 'int32': case 'int64': case 'float64': case 'boolean': case 'string': case 'date': case 'time':
      return { kind: word };
    case 'timestamp': return { kind: 'timestamp', utc: false };
    case 'timestamptz': return { kind: 'timestamp', utc: true };
    default: return `unknown type ${word} (use int16, int32, int64, decimal(p,s), float64, boolean, string, date, time, timestamp or timestamptz)`;
  }
}

const positionOf = (at: IToken | SyntaxNode) => ('kind' in at ? at.position : at.startOffset + 1);

let parser: ExpressionParser | undefined;

/** The syntax tree of an expression, or the first problem with its position. Never throws. */
export function parseSyntax(text: string): { ok: true; tree: SyntaxNode } | { ok: false; problem: SyntaxProblem } {
  if (typeof text !== 'string') return { ok: false, problem: { position: 1, message: 'an expression must be text' } };
  if (text.length > expressionLimits.textLength) return { ok: false, problem: { position: expressionLimits.textLength + 1, message: `longer than ${expressionLimits.textLength} characters` } };
  if (!text.trim()) return { ok: false, problem: { position: 1, message: 'the expression is empty' } };
  const lexed = lexer.tokenize(text);
  const lexError = lexed.errors[0];
  if (lexError) {
    const at = text[lexError.offset];
    const message = at === "'" ? 'a string without its closing quote' : at === '"' ? 'a quoted name without its closing quote' : `unexpected character ${JSON.stringify(at)}`;
    return { ok: false, problem: { position: lexError.offset + 1, message } };
  }
  const tooDeep = nestingProblem(lexed.tokens);
  if (tooDeep) return { ok: false, problem: tooDeep };
  parser ??= new ExpressionParser();
  parser.start();
  parser.input = lexed.tokens;
  try {
    const tree = parser.expression();
    const error = parser.errors[0];
    if (error) {
      const offset = error.token.tokenType.name === 'EOF' || Number.isNaN(error.token.startOffset) ? text.length : error.token.startOffset;
      return { ok: false, problem: { position: offset + 1, message: error.message } };
    }
    const depth = depthProblem(tree);
    if (depth) return { ok: false, problem: depth };
    return { ok: true, tree };
  } catch (err) {
    if (err instanceof LimitBreach) return { ok: false, problem: err.problem };
    return { ok: false, problem: { position: 1, message: `not an expression: ${err instanceof Error ? err.message : String(err)}` } };
  } finally {
    parser.input = [];
  }
}

/**
 * Refuses nesting deeper than the limit from the tokens alone, before the recursive parser sees
 * them: brackets and case … end open a level, and so does each prefix `not` or `-` (the
 * bracket-free way to nest). Counting every not/minus is stricter than the tree, never looser.
 */
function nestingProblem(tokens: IToken[]): SyntaxProblem | undefined {
  let open = 0;
  let prefixes = 0;
  for (const token of tokens) {
    const type = token.tokenType;
    if (type === LParen || type === Case) open++;
    else if (type === RParen || type === End) open = Math.max(0, open - 1);
    if (type === Not || type === Minus) prefixes++;
    else if (type !== LParen) prefixes = 0;
    if (open + prefixes > expressionLimits.depth) return { position: token.startOffset + 1, message: `nested deeper than ${expressionLimits.depth} levels` };
  }
  return undefined;
}

/**
 * The tree's depth, without recursion: long chains like `a + b + c + …` are fine to parse but
 * deep to evaluate, so the same limit applies to the tree as to brackets.
 */
function depthProblem(tree: SyntaxNode): SyntaxProblem | undefined {
  const stack: Array<[SyntaxNode, number]> = [[tree, 1]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (depth > expressionLimits.depth) return { position: node.position, message: `nested deeper than ${expressionLimits.depth} levels` };
    for (const child of childrenOf(node)) stack.push([child, depth + 1]);
  }
  return undefined;
}

export function childrenOf(node: SyntaxNode): SyntaxNode[] {
  switch (node.kind) {
    case 'literal': case 'column': return [];
    case 'negate': case 'not': case 'isNull': case 'cast': return [node.operand];
    case 'binary': return [node.left, node.right];
    case 'in': return [node.operand, ...node.list];
    case 'between': return [node.operand, node.low, node.high];
    case 'case': return [...node.whens.flatMap((w) => [w.when, w.then]), ...(node.otherwise ? [node.otherwise] : [])];
    case 'call': return node.args;
  }
}
