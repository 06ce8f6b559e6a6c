import type { RecordStore } from '../core/store.ts';

/** The key of an import whose runs are known only once it writes (the bulk path): it holds every run. */
const ALL = '\u0000all';

/** Run keys being imported into each store by this process. */
const busy = new WeakMap<RecordStore, Map<string, Promise<void>>>();

/**
 * Waits until no other import of this process writes into any of these runs, then holds them: an
 * abandoned import removes its runs' rows above a watermark, which must be no one else's.
 * Returns the release function.
 */
export async function lockRuns(store: RecordStore, keys: string[]): Promise<() => void> {
  const held = busy.get(store) ?? new Map<string, Promise<void>>();
  busy.set(store, held);
  for (;;) {
    const waits = [...keys, ALL].map((k) => held.get(k)).filter((p) => p !== undefined);
    if (waits.length === 0) break;
    await Promise.all(waits);
  }
  let release!: () => void;
  const done = new Promise<void>((resolve) => {
    release = resolve;
  });
  for (const k of keys) held.set(k, done);
  return () => {
    for (const k of keys) if (held.get(k) === done) held.delete(k);
    release();
  };
}

/** Waits until no other import of this process writes, then holds every run (see lockRuns). */
export async function lockAllRuns(store: RecordStore): Promise<() => void> {
  const held = busy.get(store) ?? new Map<string, Promise<void>>();
  busy.set(store, held);
  while (held.size > 0) await Promise.all([...held.values()]);
  return lockRuns(store, [ALL]);
}
