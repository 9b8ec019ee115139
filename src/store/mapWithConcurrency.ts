/**
 * `map` over items with at most `concurrency` calls in flight, results in the items' order: a
 * fan-out of storage reads (one per pipeline) that stays polite to the service however many
 * items there are. The first failure rejects the whole map; calls in flight finish unobserved.
 */
export async function mapWithConcurrency<T, R>(items: readonly T[], concurrency: number, map: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await map(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
