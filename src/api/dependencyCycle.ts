/**
 * The first dependency cycle through `id` once it depends on `dependsOn`, as the path that closes
 * it (`a -> b -> a`), or undefined. `upstreamOf` gives every other pipeline's dependencies.
 */
export function findDependencyCycle(id: string, dependsOn: string[], upstreamOf: (pipelineId: string) => string[]): string[] | undefined {
  const visiting = new Set<string>();
  const done = new Set<string>();
  const walk = (current: string, path: string[]): string[] | undefined => {
    if (current === id) return [...path, current];
    if (done.has(current) || visiting.has(current)) return undefined;
    visiting.add(current);
    for (const next of upstreamOf(current)) {
      const cycle = walk(next, [...path, current]);
      if (cycle) return cycle;
    }
    visiting.delete(current);
    done.add(current);
    return undefined;
  };
  for (const upstream of dependsOn) {
    const cycle = walk(upstream, [id]);
    if (cycle) return cycle;
  }
  return undefined;
}
