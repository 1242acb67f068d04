// Bounded concurrency for work on many items (starting a batch's workflows, telling its invoices, checking claims).

/** Runs `fn` on every item, at most `width` at a time; rejects with the first error. */
export async function inParallel<T>(items: readonly T[], width: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}
