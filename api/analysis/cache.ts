/**
 * Answers keyed by (query, data version): a new version empties it, so stale answers cannot be served. Bounded
 * by entries and by bytes: a broad answer (thousands of rows) holds megabytes, so an entry bound alone would let
 * a few hundred of them fill the heap, and every garbage collection walks what the cache holds.
 */
export class AnswerCache<T> {
  private version: string | null = null;
  private readonly map = new Map<string, { value: T; bytes: number }>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(
    private readonly max = 1000,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {}

  get(version: string, key: string): T | undefined {
    if (version !== this.version) {
      this.map.clear();
      this.bytes = 0;
      this.version = version;
    }
    const e = this.map.get(key);
    if (e === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.map.delete(key); // LRU: re-insert as newest
    this.map.set(key, e);
    return e.value;
  }

  /** `bytes`: what the value holds, as far as the caller knows (0: counted by the entry bound only). */
  set(version: string, key: string, value: T, bytes = 0): void {
    if (version !== this.version) return; // computed over data that changed meanwhile
    const old = this.map.get(key);
    if (old) {
      this.bytes -= old.bytes;
      this.map.delete(key);
    }
    this.map.set(key, { value, bytes });
    this.bytes += bytes;
    while (this.map.size > this.max || (this.bytes > this.maxBytes && this.map.size > 1)) {
      const [oldest, e] = this.map.entries().next().value as [string, { bytes: number }];
      this.map.delete(oldest);
      this.bytes -= e.bytes;
    }
  }

  /** Bytes held by the entries of the current version (as their callers counted them). */
  get heldBytes(): number {
    return this.bytes;
  }
}
