/** A bounded pipeline of async work whose results come out in input order. */

/**
 * Start `work(item)` for up to `depth` items at once and yield the results in the order of `items`
 * (any iterable, read lazily). Stops starting new work once `signal` fires; what is already in flight
 * is awaited and dropped. A failure is thrown when its turn to be yielded comes.
 */
export async function* inOrder<T, R>(items: Iterable<T>, depth: number, work: (item: T) => Promise<R>, signal?: AbortSignal): AsyncGenerator<R> {
  const window: Promise<R>[] = [];
  const it = items[Symbol.iterator]();
  try {
    for (;;) {
      while (window.length < depth && !signal?.aborted) {
        const next = it.next();
        if (next.done) break;
        const p = work(next.value);
        p.catch(() => undefined); // awaited below; this keeps an early failure from being "unhandled"
        window.push(p);
      }
      const head = window.shift();
      if (!head) return;
      const result = await head;
      if (signal?.aborted) return;
      yield result;
    }
  } finally {
    await Promise.allSettled(window);
  }
}
