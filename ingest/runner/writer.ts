import type { RecordStore } from '../../core/store.ts';
import type { CanonicalRecord } from '../../core/types.ts';
import type { Clock } from './clock.ts';

/**
 * Group commit: a result is appended as soon as the previous write finished, together with every result that
 * completed meanwhile (up to `maxRows` per batch). `write` resolves once the row is stored, and the runner
 * holds the item's concurrency slot until then, so a crash loses at most `concurrency` answered items, and
 * the store is never more than one write (well under a second) behind. The store's ingest is idempotent on
 * (run, item, sample), so a batch retried after a failed write never duplicates.
 */
export class ResultWriter {
  private buffer: { record: CanonicalRecord; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushing: Promise<void> | null = null;
  /** Batches written and rows per batch, for the bench and the summary. */
  readonly stats = { batches: 0, rows: 0, maxBatch: 0, writeMs: 0 };

  constructor(
    private readonly store: RecordStore,
    private readonly clock: Clock,
    private readonly o: { maxRows: number; writeAttempts?: number } = { maxRows: 500 },
  ) {}

  write(record: CanonicalRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.buffer.push({ record, resolve, reject });
      this.flushing ??= this.loop().finally(() => {
        this.flushing = null;
      });
    });
  }

  /** Waits until every row handed in so far is written (or failed). */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async loop() {
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, this.o.maxRows);
      try {
        await this.writeWithRetry(batch.map((b) => b.record));
        for (const b of batch) b.resolve();
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
  }

  private async writeWithRetry(records: CanonicalRecord[]) {
    const attempts = this.o.writeAttempts ?? 3;
    for (let i = 1; ; i++) {
      const t0 = this.clock.now();
      try {
        await this.store.ingest(records);
        this.stats.batches++;
        this.stats.rows += records.length;
        this.stats.maxBatch = Math.max(this.stats.maxBatch, records.length);
        this.stats.writeMs += this.clock.now() - t0;
        return;
      } catch (err) {
        if (i >= attempts) throw err;
        await this.clock.sleep(200 * 2 ** i);
      }
    }
  }
}
