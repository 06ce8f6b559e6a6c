/** A counting semaphore whose waiters are served in order and can give up on an abort signal. */
export class Semaphore {
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];

  constructor(private free: number) {}

  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const w = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject,
      };
      const onAbort = () => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(w);
    });
  }

  release(): void {
    const w = this.waiters.shift();
    if (w) w.resolve();
    else this.free++;
  }
}
