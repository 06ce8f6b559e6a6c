import { UsageError } from './command.ts';

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
};
const NUMERIC = new Set(['limit', 'sample_seed', 'samples', 'concurrency', 'rpm', 'tpm', 'deadline_ms']);

interface RunStatus {
  id: number;
  status: string;
  reason: string | null;
  active: boolean;
  progress: {
    done: number | null;
    total: number | null;
    accuracy: number | null;
    stderr: number | null;
    errors: number;
    items_per_sec: number | null;
    eta_sec: number | null;
    cost_usd: number;
  } | null;
}

/**
 * `evalhouse run` while a server holds the embedded DuckDB file: the run is started by the
 * server (POST /runs) with the same options, and followed here (GET /runs/:id) until it ends.
 * Ctrl-C stops following; the run goes on in the server.
 */
export async function runThroughServer(
  server: string,
  values: Record<string, string | boolean | undefined>,
): Promise<number> {
  const body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined || k === 'models-file') continue;
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
  const res = await fetch(`${server}/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const started = (await res.json()) as { id?: number; label?: string; message?: string };
  if (res.status !== 202 || started.id === undefined) {
    console.error(
      `evalhouse run: the server refused the run (${res.status}): ${started.message ?? JSON.stringify(started)}`,
    );
    return res.status === 409 ? 2 : 1;
  }
  console.error(
    `a server holds the DuckDB file: run #${started.id} "${started.label}" started there (${server}/runs/${started.id})`,
  );
  let stop = false;
  const onSigint = () => {
    stop = true;
  };
  process.on('SIGINT', onSigint);
  try {
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      const s = (await (await fetch(`${server}/runs/${started.id}`)).json()) as RunStatus;
      const p = s.progress;
      if (p) {
        const acc =
          p.accuracy === null
            ? '–'
            : `${(100 * p.accuracy).toFixed(1)}% ± ${(100 * (p.stderr ?? 0)).toFixed(1)}`;
        const line = `${p.done ?? 0}/${p.total ?? '?'} · ${(p.items_per_sec ?? 0).toFixed(1)} items/s · ETA ${Math.round(p.eta_sec ?? 0)} s · accuracy ${acc} · errors ${p.errors} · $${p.cost_usd.toFixed(4)}`;
        process.stderr.write(process.stderr.isTTY ? `\r\x1b[2K${line}` : `${line}\n`);
      }
      if (stop) {
        console.error(`\nstopped following; run #${s.id} goes on in the server: GET ${server}/runs/${s.id}`);
        return 0;
      }
      if (!s.active && s.status !== 'running') {
        if (process.stderr.isTTY) process.stderr.write('\n');
        console.log(`run #${s.id} ${s.status}${s.reason ? `: ${s.reason}` : ''}`);
        return s.status === 'completed' ? 0 : s.status === 'paused' ? 3 : 1;
      }
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
}
