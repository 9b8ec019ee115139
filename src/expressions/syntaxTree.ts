/**
 * The syntax tree of an expression, as the grammar builds it and the binder reads it. Every node
 * keeps the 1-based character offset where it starts, so a type error names its place.
 */
export type LiteralKind = 'integer' | 'decimal' | 'string' | 'boolean' | 'null' | 'date' | 'timestamp';

export type BinaryOperator = '+' | '-' | '*' | '/' | '%' | '||' | '=' | '<>' | '<' | '<=' | '>' | '>=' | 'and' | 'or';

/** A type named in `cast(x as <type>)`: the same words as a column's output type. */
export type CastTypeName =
  | { kind: 'int16' | 'int32' | 'int64' | 'float64' | 'boolean' | 'string' | 'date' | 'time' }
  | { kind: 'decimal'; precision: number; scale: number }
  | { kind: 'timestamp'; utc: boolean };

export type SyntaxNode = { position: number } & (
  | { kind: 'literal'; literal: LiteralKind; text: string }
  | { kind: 'column'; name: string }
  | { kind: 'negate'; operand: SyntaxNode }
  | { kind: 'not'; operand: SyntaxNode }
  | { kind: 'binary'; operator: BinaryOperator; left: SyntaxNode; right: SyntaxNode }
  | { kind: 'isNull'; negated: boolean; operand: SyntaxNode }
  | { kind: 'in'; negated: boolean; operand: SyntaxNode; list: SyntaxNode[] }
  | { kind: 'between'; negated: boolean; operand: SyntaxNode; low: SyntaxNode; high: SyntaxNode }
  | { kind: 'case'; whens: Array<{ when: SyntaxNode; then: SyntaxNode }>; otherwise: SyntaxNode | undefined }
  | { kind: 'call'; name: string; args: SyntaxNode[] }
  | { kind: 'cast'; operand: SyntaxNode; type: CastTypeName }
);
