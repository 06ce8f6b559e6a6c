import type { Config } from '../../core/config.ts';
import { type RecordStore, RUN_STATUSES, type RunInfo, type RunStatus } from '../../core/store.ts';
import { idleMs, looksLive, pauseAbandoned } from '../../ingest/runner/liveness.ts';
import { filterRuns, type RunView, runView } from '../../ingest/runner/run-view.ts';
import { MysqlStore } from '../../store/mysql/mysql-store.ts';
import { updateQueuedRun } from '../../store/mysql/queue-tables.ts';
import { openRecordStore } from '../../store/open.ts';
import { cliDataAudit } from '../accounts.ts';
import { type Command, parseCommandArgs, UsageError } from '../command.ts';
import { assertDefaultWorkspaceLocally, runningServer, serverHeaders, useRemoteIdentity } from '../remote.ts';
import { causeOf } from '../remote-run.ts';

const STATUSES: readonly RunStatus[] = RUN_STATUSES;

const usage = `usage: evalhouse runs list [--benchmark B] [--model M] [--status ${STATUSES.join('|')}] [--limit N] [--json]
       evalhouse runs cancel RUN_ID
       evalhouse runs delete RUN_ID...
       evalhouse runs delete --benchmark B

\`list\` shows runs, newest first, with their status and progress. \`cancel\` stops a run a server is
running: requests in flight finish, then the run is paused (resume it with evalhouse run --resume ID);
a run started by \`evalhouse run\` in a terminal stops with Ctrl-C there. \`delete\` removes runs and all
their results (refused while a run is running: cancel it first); with --benchmark, every run of that
benchmark (its definition and catalog stay). With a server running, these go through its API.
Exit code: 0 done, 1 refused or not found.
Through a server: --workspace SLUG acts in that workspace (x-evalhouse-workspace), and EVALHOUSE_API_KEY
is sent as Authorization: Bearer. Without a server, only the default workspace.`;

/** One request to the server's API: the parsed answer, or its `{error, message}` as a failure. */
async function call(
  url: string,
  method: string,
): Promise<{ ok: true; body: unknown } | { ok: false; message: string; unreachable?: boolean }> {
  let res: Response;
  try {
    res = await fetch(url, { method, headers: serverHeaders() });
  } catch (err) {
    return {
      ok: false,
      unreachable: true,
      message: `no server answers at ${new URL(url).origin} (${causeOf(err)})`,
    };
  }
  const body = (await res.json().catch(() => null)) as { message?: string } | null;
  if (res.ok) return { ok: true, body };
  return { ok: false, message: body?.message ?? `HTTP ${res.status}`, unreachable: false };
}

function pct(v: number | null | undefined): string {
  return v === null || v === undefined ? '–' : `${(100 * v).toFixed(1)}%`;
}

function printTable(runs: RunView[], total: number): void {
  if (runs.length === 0) {
    console.log('no runs');
    return;
  }
  const rows = runs.map((r) => [
    String(r.id),
    r.benchmark,
    r.model,
    r.label,
    r.status,
    r.progress ? `${r.progress.done ?? '?'}/${r.progress.total ?? '?'}` : '',
    pct(r.progress?.accuracy),
    r.progress ? String(r.progress.errors) : '',
    r.updated_at.slice(0, 19).replace('T', ' '),
  ]);
  const head = ['id', 'benchmark', 'model', 'label', 'status', 'done', 'accuracy', 'errors', 'updated (UTC)'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [head, ...rows])
    console.log(
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
  if (total > runs.length) console.log(`(${runs.length} of ${total}; --limit N for more)`);
}

function runIds(positionals: string[]): number[] {
  return positionals.map((p) => {
    if (!/^\d+$/.test(p)) throw new UsageError(`a run id is a number (got "${p}")`);
    return Number(p);
  });
}

/** Why a run may not be deleted now, or null. The server checks its own runs itself. */
function busy(run: RunInfo): string | null {
  return looksLive(run)
    ? `run #${run.id} is running (updated ${Math.round(idleMs(run) / 1000)} s ago); cancel it first`
    : null;
}

async function onStore<T>(config: Config, f: (store: RecordStore) => Promise<T>): Promise<T> {
  const store = await openRecordStore(config);
  try {
    return await f(store);
  } finally {
    await store.close();
  }
}

async function list(argv: string[], config: Config): Promise<number> {
  const { values: v } = parseCommandArgs(
    argv,
    {
      benchmark: { type: 'string' },
      model: { type: 'string' },
      status: { type: 'string' },
      limit: { type: 'string', default: '50' },
      json: { type: 'boolean' },
    },
    false,
  );
  if (v.status !== undefined && !STATUSES.includes(v.status as RunStatus))
    throw new UsageError(`--status must be one of ${STATUSES.join(', ')}`);
  const limit = Number(v.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new UsageError('--limit must be an integer from 1 to 1000');
  const filter = { benchmark: v.benchmark, model: v.model, status: v.status as RunStatus | undefined };
  const server = await runningServer(config);
  if (!server) assertDefaultWorkspaceLocally();
  let runs: RunView[];
  let total: number;
  if (server) {
    const q = new URLSearchParams({ limit: String(limit) });
    for (const [k, val] of Object.entries(filter)) if (val !== undefined) q.set(k, val);
    const r = await call(`${server}/runs?${q}`, 'GET');
    if (!r.ok) {
      console.error(`evalhouse runs: ${r.message}`);
      return 1;
    }
    ({ runs, total } = r.body as { runs: RunView[]; total: number });
  } else {
    const all = await onStore(config, async (s) => filterRuns(await s.listRuns(), filter));
    total = all.length;
    runs = all.slice(0, limit).map((r) => runView(r));
  }
  if (v.json) console.log(JSON.stringify({ runs, total }, null, 2));
  else printTable(runs, total);
  return 0;
}

async function cancel(argv: string[], config: Config): Promise<number> {
  const { positionals } = parseCommandArgs(argv, {}, true);
  const ids = runIds(positionals);
  if (ids.length !== 1) throw new UsageError('give one run id to cancel');
  const id = ids[0]!;
  // Only a server can stop a run it is running; with MySQL the CLI does not need it for anything else.
  const server = (await runningServer(config)) ?? (config.mysqlUrl ? config.evalhouseUrl : null);
  if (!server) assertDefaultWorkspaceLocally();
  if (server) {
    const r = await call(`${server}/runs/${id}/cancel`, 'POST');
    if (r.ok) {
      const run = r.body as RunView;
      console.log(`run #${run.id} ${run.status}${run.reason ? `: ${run.reason}` : ''}`);
      return 0;
    }
    if (!config.mysqlUrl || !r.unreachable) {
      console.error(`evalhouse runs cancel: ${r.message}`);
      return 1;
    }
  }
  return onStore(config, async (s) => {
    const run = await s.getRun(id);
    if (!run) {
      console.error(`evalhouse runs cancel: unknown run "${id}"`);
      return 1;
    }
    // a queued run: the workers read its status, so pausing it in MySQL stops them (within their progress tick)
    const queued = run.source === 'queue' && (run.status === 'queued' || run.status === 'running');
    // the entry POST /runs/{id}/cancel writes, with the status
    const stopAudit = (await cliDataAudit(s, config)).hook('run.stop', `run:${id}`, {
      before: { status: run.status },
      after: { status: 'paused' },
    });
    if (queued && s instanceof MysqlStore) {
      await s.kysely.transaction().execute(async (trx) => {
        const paused = await updateQueuedRun(trx, id, {
          status: 'paused',
          statusReason: `cancelled with evalhouse runs cancel; resume with evalhouse run --queue --resume ${id}`,
        });
        if (paused) await stopAudit?.(trx, undefined);
      });
    } else if (!(await pauseAbandoned(s, run, 'with evalhouse runs cancel', stopAudit))) {
      console.error(
        `evalhouse runs cancel: run #${id} is running in another process (updated ${Math.round(idleMs(run) / 1000)} s ago) ` +
          'and no server here runs it: stop it with Ctrl-C where `evalhouse run` was started',
      );
      return 1;
    }
    const now = (await s.getRun(id))!;
    console.log(`run #${id} ${now.status}${now.statusReason ? `: ${now.statusReason}` : ''}`);
    return 0;
  });
}

async function remove(argv: string[], config: Config): Promise<number> {
  const { values: v, positionals } = parseCommandArgs(argv, { benchmark: { type: 'string' } }, true);
  if ((v.benchmark === undefined) === (positionals.length === 0))
    throw new UsageError('give run ids or --benchmark B (not both)');
  const ids = runIds(positionals);
  const server = await runningServer(config);
  if (!server) assertDefaultWorkspaceLocally();
  if (server) {
    const urls =
      v.benchmark !== undefined
        ? [`${server}/benchmarks/${encodeURIComponent(v.benchmark)}/data`]
        : ids.map((id) => `${server}/runs/${id}`);
    let failed = 0;
    for (const url of urls) {
      const r = await call(url, 'DELETE');
      if (r.ok) console.log(describeDeleted(r.body));
      else {
        console.error(`evalhouse runs delete: ${r.message}`);
        failed++;
      }
    }
    return failed > 0 ? 1 : 0;
  }
  return onStore(config, async (s) => {
    const all = await s.listRuns();
    const runs = v.benchmark !== undefined ? all.filter((r) => r.benchmark === v.benchmark) : [];
    if (v.benchmark !== undefined && runs.length === 0) {
      console.error(`evalhouse runs delete: no runs of benchmark "${v.benchmark}"`);
      return 1;
    }
    for (const id of ids) {
      const run = all.find((r) => r.id === id);
      if (!run) {
        console.error(`evalhouse runs delete: unknown run "${id}"`);
        return 1;
      }
      runs.push(run);
    }
    // Nothing is deleted if any of them is running.
    const refusals = runs.map(busy).filter((m): m is string => m !== null);
    if (refusals.length > 0) {
      for (const m of refusals) console.error(`evalhouse runs delete: ${m}`);
      return 1;
    }
    const audit = await cliDataAudit(s, config);
    for (const run of runs) {
      await s.deleteRun(run.id, audit.hook('run.delete', `run:${run.id}`, { before: run }));
      console.log(describeDeleted({ deleted: run }));
    }
    return 0;
  });
}

function describeDeleted(body: unknown): string {
  const b = body as {
    deleted?: { id: number; benchmark: string; model: string; label: string };
    benchmark?: string;
    runs_deleted?: number;
  };
  if (b.deleted) {
    const d = b.deleted;
    return `deleted run #${d.id} (${d.benchmark} × ${d.model} "${d.label}") and its results`;
  }
  return `deleted ${b.runs_deleted} run(s) of ${b.benchmark} and their results`;
}

export const command: Command = {
  name: 'runs',
  summary: 'list, cancel or delete runs',
  usage,
  async run(argv, config) {
    const [sub, ...rest] = useRemoteIdentity(argv, config);
    if (sub === 'list') return list(rest, config);
    if (sub === 'cancel') return cancel(rest, config);
    if (sub === 'delete') return remove(rest, config);
    throw new UsageError(sub ? `unknown subcommand "${sub}"` : 'give a subcommand: list, cancel or delete');
  },
};
