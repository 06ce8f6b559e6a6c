import type { RunView } from '../ingest/runner/run-view.ts';
import { UsageError } from './command.ts';
import { serverHeaders } from './remote.ts';

/** The `evalhouse run` options a server's POST /runs accepts, by CLI name → JSON name. */
const FORWARDED: Record<string, string> = {
  benchmark: 'benchmark',
  model: 'model',
  'base-url': 'base_url',
  'api-key-env': 'api_key_env',
  limit: 'limit',
  'sample-seed': 'sample_seed',
  samples: 'samples',
  concurrency: 'concurrency',
  rpm: 'rpm',
  tpm: 'tpm',
  'deadline-ms': 'deadline_ms',
  'run-id': 'run_id',
  resume: 'resume',
  prompt: 'prompt',
};
const NUMERIC = new Set(['limit', 'sample_seed', 'samples', 'concurrency', 'rpm', 'tpm', 'deadline_ms']);

/** What GET /runs/{id} answers (ingest/runner/run-view.ts), as far as following a run needs it. */
type RunStatus = Pick<RunView, 'id' | 'status' | 'reason' | 'active' | 'progress'>;

/** fetch's "fetch failed" says nothing: the system error is its cause. */
export function causeOf(err: unknown): string {
  const e = err as Error & { cause?: Error };
  return e?.cause?.message ?? e?.message ?? String(err);
}

/** The exit code `evalhouse run` gives for a run's final status (the same locally and through a server). */
export function exitCodeFor(status: string): number {
  return status === 'completed' ? 0 : status === 'paused' ? 3 : 1;
}

/**
 * `evalhouse run` while a server holds the embedded DuckDB file: the run is started by the
 * server (POST /runs) with the same options, and followed here (GET /runs/:id) until it ends.
 * Ctrl-C cancels the run in the server (POST /runs/:id/cancel: paused, resumable), as it does locally;
 * a second Ctrl-C stops waiting. With --detach the run is left to the server once it has started.
 */
export async function runThroughServer(
  server: string,
  values: Record<string, string | boolean | undefined>,
): Promise<number> {
  const body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined || k === 'models-file' || k === 'detach') continue;
    const name = FORWARDED[k];
    if (!name)
      throw new UsageError(
        `--${k} is not available when the run goes through the server at ${server}; stop the server to use it`,
      );
    if (NUMERIC.has(name) || (name === 'resume' && /^\d+$/.test(String(v)))) body[name] = Number(v);
    else body[name] = v;
  }
  if (typeof body.benchmark === 'string' && /[/\\]/.test(body.benchmark)) {
    throw new UsageError(
      'the server runs bundled benchmarks by slug only; stop the server to run a benchmark folder',
    );
  }
  let res: Response;
  let started: { id?: number; label?: string; message?: string };
  try {
    res = await fetch(`${server}/runs`, {
      method: 'POST',
      headers: serverHeaders({ 'content-type': 'application/json' }),
      body: JSON.stringify(body),
    });
    started = (await res.json()) as typeof started;
  } catch (err) {
    console.error(`evalhouse run: the server at ${server} did not answer (${causeOf(err)})`);
    return 1;
  }
  if (res.status !== 202 || started.id === undefined) {
    console.error(
      `evalhouse run: the server refused the run (${res.status}): ${started.message ?? JSON.stringify(started)}`,
    );
    return res.status === 409 ? 2 : 1;
  }
  const url = `${server}/runs/${started.id}`;
  console.error(
    `a server holds the DuckDB file: run #${started.id} "${started.label}" started there (${url})`,
  );
  if (values.detach) {
    console.log(`run #${started.id} "${started.label}" runs in the server: ${url}`);
    console.log(`follow it with GET ${url}; stop it with: evalhouse runs cancel ${started.id}`);
    return 0;
  }
  let interrupts = 0;
  let wake = () => {};
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      console.error('\nCtrl-C: cancelling the run in the server (Ctrl-C again to stop waiting)');
    }
    wake();
  };
  process.on('SIGINT', onSigint);
  try {
    let cancelling: Promise<void> | null = null;
    for (;;) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, 1000);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
      if (interrupts >= 2) {
        console.error(`\nstopped waiting; the server finishes cancelling run #${started.id}: GET ${url}`);
        return 130;
      }
      // The cancel answers once the run has stopped; meanwhile progress is still shown.
      if (interrupts === 1 && !cancelling) {
        cancelling = fetch(`${url}/cancel`, { method: 'POST', headers: serverHeaders() }).then(
          async (res) => {
            if (!res.ok) console.error(`\nthe server did not cancel run #${started.id}: ${await res.text()}`);
          },
          (err: Error) => console.error(`\ncould not cancel run #${started.id}: ${err.message}`),
        );
      }
      let s: RunStatus;
      try {
        const res = await fetch(url, { headers: serverHeaders() });
        if (!res.ok) throw new Error(`it answered ${res.status}`);
        s = (await res.json()) as RunStatus;
      } catch (err) {
        // The server stopped (it pauses its runs as it closes): say so, without a stack trace.
        console.error(
          `\nevalhouse run: lost the server at ${server} (${causeOf(err)}); run #${started.id} was paused if it stopped cleanly; resume with --resume ${started.id}`,
        );
        return 1;
      }
      const p = s.progress;
      if (p) {
        const acc =
          p.accuracy === null
            ? '–'
            : `${(100 * p.accuracy).toFixed(1)}% ± ${(100 * (p.stderr ?? 0)).toFixed(1)}`;
        const line = `${p.done ?? 0}/${p.total ?? '?'} · ${(p.items_per_sec ?? 0).toFixed(1)} items/s · ETA ${Math.round(p.eta_sec ?? 0)} s · accuracy ${acc} · errors ${p.errors} · $${p.cost_usd.toFixed(4)}`;
        process.stderr.write(process.stderr.isTTY ? `\r\x1b[2K${line}` : `${line}\n`);
      }
      if (!s.active && s.status !== 'running') {
        if (process.stderr.isTTY) process.stderr.write('\n');
        console.log(`run #${s.id} ${s.status}${s.reason ? `: ${s.reason}` : ''}`);
        if (s.status !== 'completed') {
          const cmd = ['evalhouse run', `--benchmark ${values.benchmark}`, `--model ${values.model}`];
          if (values['base-url']) cmd.push(`--base-url ${values['base-url']}`);
          console.log(`resume with: ${[...cmd, `--resume ${s.id}`].join(' ')}`);
        }
        return exitCodeFor(s.status);
      }
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
}
