/** Answers keyed by (query, data version): a new version empties it, so stale answers cannot be served. */
export class AnswerCache<T> {
  private version: string | null = null;
  private readonly map = new Map<string, T>();
  hits = 0;
  misses = 0;

  constructor(private readonly max = 1000) {}

  get(version: string, key: string): T | undefined {
    if (version !== this.version) {
      this.map.clear();
      this.version = version;
    }
    const v = this.map.get(key);
    if (v === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.map.delete(key); // LRU: re-insert as newest
    this.map.set(key, v);
    return v;
  }

  set(version: string, key: string, value: T): void {
    if (version !== this.version) return; // computed over data that changed meanwhile
    this.map.set(key, value);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }
}
