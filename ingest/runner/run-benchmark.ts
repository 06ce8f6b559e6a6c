import { setMaxListeners } from 'node:events';
import type { CommitHook, RecordStore, RunInfo, RunStatus } from '../../core/store.ts';
import type { CanonicalRecord } from '../../core/types.ts';
import { AbortReason } from '../providers/classify.ts';
import type { Provider, ProviderError, ProviderSuccess, RateLimitSnapshot } from '../providers/types.ts';
import { attemptOnce } from './attempt.ts';
import { backoffMs } from './backoff.ts';
import { type Clock, systemClock } from './clock.ts';
import { idleMs, looksLive } from './liveness.ts';
import { paceWaitMs } from './pacing.ts';
import { configDiff, type PlanItem, type RunPlan } from './plan.ts';
import { type Limiter, RateLimiter } from './rate-limiter.ts';
import { Semaphore } from './semaphore.ts';
import { countsFrom, type ProgressSnapshot, RunStats } from './stats.ts';
import { ResultWriter } from './writer.ts';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

export interface RunDeps {
  store: RecordStore;
  provider: Provider;
  clock?: Clock | undefined;
  logger?: Logger | undefined;
  /**
   * Abort = Ctrl-C: stop taking items, let in-flight ones finish for `graceMs`, then abort them; the run is
   * paused. An AbortReason as the abort reason says why ("cancelled through the API").
   */
  signal?: AbortSignal | undefined;
  /** Called about every `progressIntervalMs` and once at the end. */
  onProgress?: ((p: ProgressSnapshot) => void) | undefined;
  /**
   * In the transaction that creates (or finds, for a resume) the run's row (POST /runs's `run.create`
   * entry): should it fail, the run is not started and a new row is not kept.
   */
  onRunCreated?: CommitHook<RunInfo> | undefined;
  /**
   * Asked at the run's last write, the one that records how it ended: a hook for that write's
   * transaction, with the status (POST /runs/{id}/cancel's `run.stop` entry). Should it fail, the status
   * is not kept and the run ends with the error.
   */
  onStopped?: (() => CommitHook<RunOutcome['status']> | undefined) | undefined;
  /** Called once the run row exists (the API answers 202 with its id). */
  onStart?: ((run: { id: number; label: string }) => void) | undefined;
  progressIntervalMs?: number | undefined;
  /** For jitter; tests may fix it. */
  random?: (() => number) | undefined;
  /**
   * The requests and tokens per minute (default: this process's own token buckets over plan.rpm / plan.tpm);
   * queue workers share one per provider through Redis (ingest/queue/redis-limiter.ts).
   */
  limiter?: Limiter | undefined;
  /** Told of every result once it is stored (queue workers count items, tokens and cost for /metrics). */
  onResult?: ((r: CanonicalRecord) => void) | undefined;
  /**
   * A share of a run that a queue worker asks (ingest/queue/): the run's status and summary belong to the
   * worker, which settles the run once every share is stored, so this call leaves them alone, deletes no
   * error of other shares, and skips the keys in `skip` (every stored result, errors included: they were
   * asked `maxAttempts` times already).
   */
  part?: { skip: Set<string> } | undefined;
}

export interface RunOutcome {
  runId: number;
  label: string;
  status: Extract<RunStatus, 'completed' | 'paused' | 'failed'>;
  reason: string | null;
  summary: ProgressSnapshot;
  /** Writes made and their size, for the bench. */
  writes: { batches: number; rows: number; maxBatch: number; writeMs: number };
}

/** A resume whose configuration differs from the run's: refused before anything is asked. */
export class RunConfigMismatchError extends Error {}

function assertSameConfig(run: RunInfo, plan: RunPlan): void {
  const diff = configDiff(run.config, plan.config);
  if (diff.length > 0)
    throw new RunConfigMismatchError(
      `run "${plan.label}" (#${run.id}, ${plan.benchmark} × ${plan.model}) was created with another configuration, ` +
        `so its results would not be comparable:\n  ${diff.join('\n  ')}\n` +
        'Resume it with its original settings, or start a new run with another --run-id.',
    );
}

const noopLogger: Logger = { info() {}, warn() {} };

interface Unit {
  item: PlanItem;
  sample: number;
}

/**
 * Runs the plan's items against the provider and appends every result to the store.
 * Never throws for a provider failure: per-item failures become `error` results, fatal ones end the run in
 * `failed` or `paused` with the reason. Throws only for a refused resume or a store that cannot be used.
 */
export async function runBenchmark(plan: RunPlan, deps: RunDeps): Promise<RunOutcome> {
  const { store, provider } = deps;
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? noopLogger;
  const random = deps.random ?? Math.random;

  const existing = await store.findRun(plan.benchmark, plan.model, plan.label);
  // refused before the row is touched: a resume with other settings leaves the run (and its audit) as it was
  if (existing) assertSameConfig(existing, plan);
  const run = await store.ensureRun(
    {
      benchmark: plan.benchmark,
      model: plan.model,
      label: plan.label,
      source: 'runner',
      config: plan.config,
      prompt: plan.prompt ?? null,
      status: 'running',
      evaluatedAt: new Date().toISOString(), // kept from the first start: a resume does not re-date the run
    },
    deps.onRunCreated,
  );
  assertSameConfig(run, plan); // a run another process created meanwhile
  if (!deps.part && existing && looksLive(existing)) {
    // Possible with MySQL (DuckDB's file lock prevents it): two runners would ask the same items twice.
    logger.warn(
      `run #${run.id} was updated ${Math.round(idleMs(existing) / 1000)} s ago while running: is another runner working on it?`,
    );
  }
  const reasked = deps.part ? 0 : await store.deleteErrors(run.id);
  const done = deps.part ? deps.part.skip : await store.doneKeys(run.id);
  const units: Unit[] = [];
  for (const item of plan.items) {
    for (let s = 0; s < plan.config.samples; s++)
      if (!done.has(`${item.id}#${s}`)) units.push({ item, sample: s });
  }
  const total = plan.items.length * plan.config.samples;
  const doneBefore = total - units.length;
  const startedAt = clock.now();
  const stats = new RunStats(
    total,
    doneBefore,
    doneBefore > 0 ? countsFrom(run.summary) : countsFrom(null),
    startedAt,
  );
  if (!deps.part && (doneBefore > 0 || reasked > 0)) {
    logger.info(
      `resuming run #${run.id} "${plan.label}": ${doneBefore}/${total} already stored, ${reasked} errored result(s) asked again`,
    );
  }
  if (!deps.part) await store.updateRun(run.id, { status: 'running', statusReason: null });
  deps.onStart?.({ id: run.id, label: plan.label });

  const limiter = deps.limiter ?? new RateLimiter(clock, { rpm: plan.rpm, tpm: plan.tpm });
  const writer = new ResultWriter(store, clock, { maxRows: plan.maxBatchRows });
  // `soft` stops taking items (Ctrl-C); `hard` aborts everything in flight (grace over, or a fatal error).
  const soft = new AbortController();
  const hard = new AbortController();
  // every request in flight (and its retry wait) listens on these: not a leak, expected fan-out
  setMaxListeners(4 * (plan.concurrency + plan.writeBehind) + 16, soft.signal, hard.signal);
  let stop: { status: 'failed' | 'paused'; reason: string } | null = null;
  let inFlight = 0;
  /** Answers received in this session: until the first, an unreachable base URL is a setup mistake. */
  let answered = 0;
  let lastError: string | null = null;
  let graceTimer: ReturnType<typeof setTimeout> | undefined;

  /** Stops taking items; requests in flight may finish (they are paid for) until the grace period ends. */
  const stopSoftly = (why: string) => {
    if (soft.signal.aborted) return;
    soft.abort(new AbortReason('shutdown', why));
    if (inFlight > 0) {
      logger.warn(
        `stopping: waiting up to ${Math.round(plan.graceMs / 1000)} s for ${inFlight} request(s) in flight`,
      );
    }
    graceTimer = setTimeout(() => hard.abort(new AbortReason('shutdown', 'grace period over')), plan.graceMs);
    graceTimer.unref?.();
  };
  const fatal = (status: 'failed' | 'paused', reason: string) => {
    if (stop?.status === 'failed') return;
    if (!stop || stop.reason.startsWith('interrupted') || status === 'failed') stop = { status, reason };
    logger.warn(`stopping the run (${status}): ${reason}`);
    stopSoftly(reason);
  };
  const onUserAbort = () => {
    // An AbortReason says who stopped the run (POST /runs/:id/cancel, a server shutting down).
    const why = deps.signal?.reason instanceof AbortReason ? deps.signal.reason.message : 'Ctrl-C / SIGINT';
    if (!stop) stop = { status: 'paused', reason: `interrupted (${why})` };
    stopSoftly('interrupted');
  };
  if (deps.signal?.aborted) onUserAbort();
  else deps.signal?.addEventListener('abort', onUserAbort, { once: true });

  const base = () => ({
    runId: run.id,
    label: plan.label,
    status: (stop ? 'stopping' : 'running') as ProgressSnapshot['status'],
    inFlight,
  });
  let lastSaved = clock.now();
  // Awaited before the final update, so a late progress save cannot overwrite the final summary.
  let saving: Promise<void> = Promise.resolve();
  const progressTimer = setInterval(() => {
    const snap = stats.snapshot(clock.now(), base());
    deps.onProgress?.(snap);
    if (!deps.part && clock.now() - lastSaved >= 5000) {
      lastSaved = clock.now();
      saving = saving
        .then(() => store.updateRun(run.id, { summary: snap }))
        .catch((e) => logger.warn(`could not save progress: ${String(e)}`));
    }
  }, deps.progressIntervalMs ?? 1000);
  progressTimer.unref?.();

  const params = plan.config.params;
  const estimate = (u: Unit) => Math.ceil(u.item.input.length / 4) + (params.max_tokens ?? 256);

  const record = (u: Unit): CanonicalRecord => ({
    benchmark: plan.benchmark,
    model: plan.model,
    run: plan.label,
    item_id: u.item.id,
    sample: u.sample,
    outcome: 'error',
    correct: null,
    score: null,
    metadata: u.item.metadata,
    input: u.item.input,
    reference: u.item.reference,
    source: 'runner',
  });

  const succeeded = async (u: Unit, r: ProviderSuccess): Promise<CanonicalRecord> => {
    const measured = {
      response: r.output,
      latency_ms: Math.round(r.latencyMs),
      ttft_ms: r.ttftMs === null ? null : Math.round(r.ttftMs),
      tokens_in: r.tokensIn,
      tokens_out: r.tokensOut,
      cost_usd: r.costUsd,
    };
    let scored: Awaited<ReturnType<RunPlan['score']>>;
    try {
      scored = await plan.score(r.output, u.item);
    } catch (err) {
      // Scoring itself failed (say, the judge model is down): an error, asked again on resume, never "wrong".
      logger.warn(`scoring ${u.item.id}#${u.sample} failed: ${String(err)}`);
      return {
        ...record(u),
        ...measured,
        error: `scoring failed: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
    return {
      ...record(u),
      outcome: scored.outcome,
      correct: scored.outcome === 'unscored' ? null : scored.correct,
      score: scored.score,
      answer: scored.answer,
      ...measured,
    };
  };

  const failed = (u: Unit, e: ProviderError, attempts: number, latencyMs: number): CanonicalRecord => ({
    ...record(u),
    latency_ms: Math.round(latencyMs),
    error: `${e.code}: ${e.message} (after ${attempts} attempt${attempts === 1 ? '' : 's'})`,
  });

  /** Sample k of an item sends seed + k, so repeated samples are not identical by construction. */
  const request = (u: Unit) => ({
    messages: u.item.messages,
    params: u.sample > 0 && params.seed !== undefined ? { ...params, seed: params.seed + u.sample } : params,
  });

  // The provider's own rate-limit headers: when what is left would not cover the requests that may be in flight,
  // everyone waits for the reset (the limiter's block) instead of collecting 429s.
  let pacedUntil = 0;
  const paceBy = (est: number) => (limits: RateLimitSnapshot) => {
    const wait = paceWaitMs(limits, { requests: plan.concurrency, tokens: plan.concurrency * est });
    if (wait <= 0) return;
    const until = clock.now() + wait;
    if (until > pacedUntil + 1000 || pacedUntil < clock.now()) {
      logger.info(
        `rate limit nearly spent (${limits.requestsRemaining ?? '?'} requests, ${limits.tokensRemaining ?? '?'} tokens left): waiting ${wait} ms for its reset`,
      );
    }
    pacedUntil = Math.max(pacedUntil, until);
    limiter.block(until);
  };

  /** Asks until an answer, a per-item error after the last attempt, or null when the run is stopping. */
  const ask = async (u: Unit): Promise<CanonicalRecord | null> => {
    const est = estimate(u);
    const onRateLimit = paceBy(est);
    for (let n = 1; ; n++) {
      try {
        await limiter.acquire(est, soft.signal);
      } catch {
        return null;
      }
      inFlight++;
      const res = await attemptOnce(provider, request(u), plan, hard.signal, clock, onRateLimit);
      inFlight--;
      if (res.ok) {
        answered++;
        limiter.settle(est, (res.tokensIn ?? 0) + (res.tokensOut ?? 0));
        return succeeded(u, res);
      }
      // Aborted when the grace period ran out: not an answer, asked again on resume.
      if (hard.signal.aborted) return null;
      const e = res.error;
      if (e.kind === 'fatal') {
        fatal(e.stop ?? 'failed', e.message);
        return null;
      }
      // Nothing listens there (a wrong --base-url, a server not started): retrying every item for minutes
      // cannot help. Once answers came, the same error is a restarting server and is retried per item.
      if (e.code === 'unreachable' && answered === 0) {
        fatal('failed', e.message);
        return null;
      }
      // Stopping: a retryable failure is not retried now (it is asked again on resume).
      if (soft.signal.aborted) return null;
      if (e.retryAfterMs !== null) limiter.block(clock.now() + e.retryAfterMs);
      if (n >= plan.retry.maxAttempts) {
        logger.warn(`${u.item.id}#${u.sample}: giving up after ${n} attempts: ${e.message}`);
        lastError = e.message;
        return failed(u, e, n, res.latencyMs);
      }
      const delay = backoffMs(plan.retry, n, e.retryAfterMs, random);
      try {
        await clock.sleep(delay, soft.signal);
      } catch {
        return null;
      }
    }
  };

  // `concurrency` requests at most are in flight (retries and their backoff included). Answered results wait for
  // the store in `writeBehind` extra workers, so a slow write does not idle the provider; a crash loses at most
  // concurrency + writeBehind answered items (in practice those answered during the last write).
  const requestSlots = new Semaphore(plan.concurrency);
  let next = 0;
  const worker = async () => {
    while (!soft.signal.aborted && next < units.length) {
      try {
        await requestSlots.acquire(soft.signal);
      } catch {
        return;
      }
      const u = units[next++];
      let rec: CanonicalRecord | null = null;
      try {
        if (u) rec = await ask(u);
      } finally {
        requestSlots.release();
      }
      if (!rec) continue;
      try {
        await writer.write(rec);
      } catch (err) {
        fatal('failed', `could not store results: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      deps.onResult?.(rec);
      stats.add({
        outcome: rec.outcome,
        tokensIn: rec.tokens_in,
        tokensOut: rec.tokens_out,
        costUsd: rec.cost_usd,
      });
    }
  };

  try {
    const workers = Math.min(plan.concurrency + plan.writeBehind, units.length);
    await Promise.all(Array.from({ length: workers }, worker));
    await writer.drain();
  } finally {
    clearInterval(progressTimer);
    clearTimeout(graceTimer);
    deps.signal?.removeEventListener('abort', onUserAbort);
  }
  await saving;

  const finalStop = stop as { status: 'failed' | 'paused'; reason: string } | null;
  const summary = stats.snapshot(clock.now(), {
    runId: run.id,
    label: plan.label,
    status: 'running',
    inFlight: 0,
  });
  const complete = summary.done >= total && !finalStop;
  // Every stored result an error: nothing was evaluated, so the run did not complete (resume asks them again).
  // (A part's errors are the run's to judge, once every part is stored.)
  const allErrored = !deps.part && complete && summary.errors > 0 && summary.errors === summary.done;
  const status: RunOutcome['status'] = finalStop
    ? finalStop.status
    : allErrored
      ? 'failed'
      : complete
        ? 'completed'
        : 'paused';
  const reason = finalStop
    ? finalStop.reason
    : allErrored
      ? `all ${summary.errors} item(s) failed after ${plan.retry.maxAttempts} attempts (last error: ${lastError}); resume to ask them again`
      : summary.errors > 0
        ? `${summary.errors} item(s) failed after ${plan.retry.maxAttempts} attempts; resume to ask them again`
        : null;
  summary.status = status;
  if (!deps.part) {
    const hook = deps.onStopped?.();
    await store.updateRun(
      run.id,
      { status, statusReason: reason, summary },
      hook && ((trx) => hook(trx, status)),
    );
  }
  deps.onProgress?.(summary);
  return { runId: run.id, label: plan.label, status, reason, summary, writes: { ...writer.stats } };
}
