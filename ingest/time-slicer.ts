/**
 * Gives the event loop a turn once a loop has worked for `budgetMs`: an import's parsing and validation
 * run in the server's thread, and other requests (a one-line import, /health) must not wait for them.
 */
export class TimeSlicer {
  private since = performance.now();

  constructor(
    private readonly budgetMs: number,
    private readonly signal?: AbortSignal | undefined,
  ) {}

  /** Call once per unit of work; resolves at once, or after a turn of the event loop. Throws once aborted. */
  async tick(): Promise<void> {
    if (performance.now() - this.since < this.budgetMs) return;
    await new Promise((resolve) => setImmediate(resolve));
    this.signal?.throwIfAborted();
    this.since = performance.now();
  }
}
