import { isAbsolute } from 'node:path';
import type { Config } from '../core/config.ts';
import { DEFAULT_BENCHMARKS_ROOT, resolveBenchmarkDir } from '../ingest/benchmarks/load.ts';
import { BenchmarkError, formatProblem } from '../ingest/benchmarks/types.ts';
import { ModelsFileError } from '../ingest/providers/models.ts';
import { ModelSetupError } from '../ingest/providers/registry.ts';
import { enqueueRun } from '../ingest/queue/enqueue.ts';
import { openQueueMode } from '../ingest/queue/open.ts';
import { planForSpec, type QueuedRunSpec } from '../ingest/queue/spec.ts';
import { formatProgress, formatSummary } from '../ingest/runner/progress.ts';
import { RunConfigMismatchError } from '../ingest/runner/run-benchmark.ts';
import type { ProgressSnapshot } from '../ingest/runner/stats.ts';
import { exitCodeFor } from './remote-run.ts';

/** A benchmark named as on the command line: a slug stays a slug (each worker's folder), a path becomes absolute. */
export function benchmarkRef(arg: string): string {
  const dir = resolveBenchmarkDir(arg);
  return isAbsolute(arg) || arg.includes('/') || arg.startsWith('.') || arg.endsWith('benchmark.yaml')
    ? dir
    : arg;
}

/**
 * `evalhouse run --queue`: enqueues the run for the workers (REDIS_URL, MYSQL_URL) and follows its stored
 * progress until it ends (--detach: prints its id and returns). Ctrl-C stops following; the run goes on.
 */
export async function runThroughQueue(
  config: Config,
  spec: QueuedRunSpec,
  o: { modelsFile: string; detach: boolean; pollMs?: number },
): Promise<number> {
  // slugs resolve under the bundled benchmarks, as `evalhouse run` does (workers: their --benchmarks)
  const files = { models: o.modelsFile, benchmarks: DEFAULT_BENCHMARKS_ROOT };
  const mode = await openQueueMode(config, 'evalhouse run --queue');
  try {
    let built: Awaited<ReturnType<typeof planForSpec>>;
    try {
      built = await planForSpec(spec, files, config.env);
    } catch (err) {
      if (err instanceof BenchmarkError) {
        console.error(
          `evalhouse run: benchmark ${spec.benchmark} is not valid:\n${err.problems.map(formatProblem).join('\n')}`,
        );
        return 2;
      }
      if (err instanceof ModelSetupError || err instanceof ModelsFileError) {
        console.error(`evalhouse run: ${err.message}`);
        return 2;
      }
      throw err;
    }
    let out: Awaited<ReturnType<typeof enqueueRun>>;
    try {
      out = await enqueueRun({ ...mode, files, env: config.env }, spec, built);
    } catch (err) {
      if (err instanceof RunConfigMismatchError) {
        console.error(`evalhouse run: ${err.message}`);
        return 2;
      }
      throw err;
    }
    process.stderr.write(
      `run #${out.run.id} "${out.run.label}": ${out.total} item×samples of ${built.def.slug} against ${built.model.name} queued in ${out.chunks} chunk(s) (${out.enqueued} to ask)\n`,
    );
    if (out.deferred) process.stderr.write(`warning: ${out.deferred}\n`);
    if (o.detach) {
      console.log(out.run.id);
      return 0;
    }
    let stop = false;
    const onSigint = () => {
      stop = true;
    };
    process.on('SIGINT', onSigint);
    try {
      let last = '';
      for (;;) {
        const run = await mode.store.getRun(out.run.id);
        if (!run) {
          console.error(`evalhouse run: run #${out.run.id} was deleted`);
          return 1;
        }
        const p = run.summary as ProgressSnapshot | null;
        if (run.status !== 'queued' && run.status !== 'running') {
          if (p && typeof p === 'object' && 'total' in p)
            console.log(formatSummary(p, run.status, run.statusReason));
          else console.log(`run #${run.id} ${run.status}${run.statusReason ? `: ${run.statusReason}` : ''}`);
          return exitCodeFor(run.status);
        }
        if (stop) {
          console.error(
            `\nstopped following run #${run.id}; it goes on in the workers (evalhouse runs show ${run.id})`,
          );
          return 0;
        }
        const line = p && typeof p === 'object' && 'total' in p ? formatProgress(p) : run.status;
        if (line !== last && process.stderr.isTTY) process.stderr.write(`\r${line}`);
        last = line;
        await new Promise((r) => setTimeout(r, o.pollMs ?? 1000));
      }
    } finally {
      process.off('SIGINT', onSigint);
    }
  } finally {
    await mode.close();
  }
}
