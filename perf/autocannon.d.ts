/** The part of autocannon's programmatic API the benches use (the package ships no types). */
declare module 'autocannon' {
  namespace autocannon {
    interface Options {
      url: string;
      connections?: number;
      duration?: number;
      timeout?: number;
      /** Requests per second over all connections. */
      overallRate?: number;
      /**
       * With a rate, autocannon otherwise records each answer of L ms with L − 1 synthetic samples
       * (HdrHistogram's coordinated-omission correction with an expected interval of ceil(1 / rate) = 1 ms).
       */
      ignoreCoordinatedOmission?: boolean;
      requests?: {
        method?: string;
        path?: string;
        headers?: Record<string, string>;
        body?: string;
        setupRequest?: (
          req: Record<string, unknown>,
          context: Record<string, unknown>,
        ) => Record<string, unknown>;
      }[];
    }
    interface Histogram {
      average: number;
      p50: number;
      p90: number;
      p99: number;
      max: number;
      total: number;
    }
    interface Result {
      requests: Histogram;
      latency: Histogram;
      errors: number;
      timeouts: number;
      non2xx: number;
      '2xx': number;
    }
  }
  interface Instance extends PromiseLike<autocannon.Result> {
    /** One answer: `client` is the connection that sent it; `responseTime` in ms. */
    on(
      event: 'response',
      listener: (client: Client, statusCode: number, resBytes: number, responseTime: number) => void,
    ): Instance;
  }
  interface Client {
    requestIterator: { context: Record<string, unknown> };
  }
  function autocannon(opts: autocannon.Options): Instance;
  export default autocannon;
}
