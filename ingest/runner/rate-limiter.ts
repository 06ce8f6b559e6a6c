import type { Clock } from './clock.ts';

/** What the runner asks of a rate limit: this process's buckets below, or Redis's shared ones (ingest/queue/). */
export interface Limiter {
  /** Waits for one request slot and `tokens` tokens (rejects when `signal` aborts). */
  acquire(tokens: number, signal?: AbortSignal): Promise<void>;
  /** Corrects the token bucket once the real usage is known (estimate → actual). */
  settle(estimated: number, actual: number): void;
  /** Everyone waits until `until` (the clock's time; a server said so). */
  block(until: number): void;
}

/**
 * Requests-per-minute and tokens-per-minute token buckets, shared by all workers, served first come first served.
 * Each bucket holds at most one second of its rate (so a burst never exceeds ~1 s worth of quota) and refills
 * continuously. A request costing more tokens than a bucket holds is let through when the bucket is full, and
 * the bucket goes negative: later requests wait until it has paid that back.
 */
export class RateLimiter implements Limiter {
  private readonly buckets: { rate: number; capacity: number; level: number }[] = [];
  private last: number;
  private queue: Promise<void> = Promise.resolve();
  /** Set by a 429 with retry-after: nobody starts before then. */
  private blockedUntil = 0;

  constructor(
    private readonly clock: Clock,
    limits: { rpm?: number | undefined; tpm?: number | undefined },
  ) {
    this.last = clock.now();
    for (const perMin of [limits.rpm, limits.tpm]) {
      const rate = perMin ? perMin / 60_000 : 0; // per ms
      const capacity = perMin ? Math.max(1, perMin / 60) : 0;
      this.buckets.push({ rate, capacity, level: capacity });
    }
  }

  private refill() {
    const now = this.clock.now();
    const dt = now - this.last;
    this.last = now;
    for (const b of this.buckets) if (b.rate > 0) b.level = Math.min(b.capacity, b.level + dt * b.rate);
  }

  /** Everyone waits until `until` (a server said so). */
  block(until: number) {
    this.blockedUntil = Math.max(this.blockedUntil, until);
  }

  /** Waits for one request slot and `tokens` tokens. */
  acquire(tokens: number, signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(() => this.take(tokens, signal));
    // Keep the queue going even if this waiter is aborted.
    this.queue = turn.catch(() => {});
    return turn;
  }

  private async take(tokens: number, signal?: AbortSignal) {
    const costs = [1, tokens];
    for (;;) {
      signal?.throwIfAborted();
      const now = this.clock.now();
      if (this.blockedUntil > now) {
        await this.clock.sleep(this.blockedUntil - now, signal);
        continue;
      }
      this.refill();
      let wait = 0;
      this.buckets.forEach((b, i) => {
        if (b.rate === 0) return;
        const need = Math.min(costs[i] ?? 0, b.capacity);
        if (b.level < need) wait = Math.max(wait, (need - b.level) / b.rate);
      });
      if (wait <= 0) {
        this.buckets.forEach((b, i) => {
          if (b.rate > 0) b.level -= costs[i] ?? 0;
        });
        return;
      }
      await this.clock.sleep(Math.ceil(wait), signal);
    }
  }

  /** Corrects the token bucket once the real usage is known (estimate → actual). */
  settle(estimated: number, actual: number) {
    const b = this.buckets[1];
    if (b && b.rate > 0) b.level -= actual - estimated;
  }
}
