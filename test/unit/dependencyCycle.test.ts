import { describe, expect, it } from 'vitest';
import { findDependencyCycle } from '../../src/api/dependencyCycle.js';

const graph = (edges: Record<string, string[]>) => (id: string) => edges[id] ?? [];

describe('findDependencyCycle', () => {
  it('finds a cycle closed through the pipeline being saved, as a path', () => {
    expect(findDependencyCycle('a', ['b'], graph({ b: ['c'], c: ['a'] }))).toEqual(['a', 'b', 'c', 'a']);
  });

  it('accepts a diamond, which shares upstreams without a cycle', () => {
    expect(findDependencyCycle('d', ['b', 'c'], graph({ b: ['a'], c: ['a'], a: [] }))).toBeUndefined();
  });

  it('ignores cycles elsewhere that do not pass through the pipeline', () => {
    expect(findDependencyCycle('a', ['b'], graph({ b: ['c'], c: ['b'] }))).toBeUndefined();
  });

  it('finds a direct two-pipeline cycle', () => {
    expect(findDependencyCycle('a', ['b'], graph({ b: ['a'] }))).toEqual(['a', 'b', 'a']);
  });
});
