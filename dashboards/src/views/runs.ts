/**
 * Runs and imports: the runs (GET /runs, newest first, filtered and paged by the URL), the live progress of
 * those this server runs (GET /runs/{id}/events, server-sent events: each row updates in place, no reload),
 * cancel with a confirmation (POST /runs/{id}/cancel), and the import panel. Runs are never kept answers:
 * they change while one looks.
 */
import { RUN_STATUSES } from '../../../core/store.ts';
import type { RunView } from '../../../ingest/runner/run-view.ts';
import { forget, getJson, postJson, withWorkspace } from '../api.ts';
import { benchmarks } from '../catalog.ts';
import { type Column, empty, errorBox, h, int, loading, pct, select, table } from '../dom.ts';
import { exportButtons } from '../exports.ts';
import { currentRoute, href, setParams } from '../state.ts';
import type { View, ViewContext } from '../view.ts';
import { importPanel } from './import-panel.ts';

interface RunList {
  runs: RunView[];
  total: number;
  limit: number;
  offset: number;
}

export const PAGE_SIZE = 25;

function progressCell(r: RunView): HTMLElement | string {
  const p = r.progress;
  if (!p || p.done === null) return 'n/a';
  if (p.total === null || p.total === 0) return int(p.done);
  return h(
    'span',
    { class: 'run-progress' },
    h('progress', { max: p.total, value: p.done, 'aria-label': `run #${r.id}: ${p.done} of ${p.total}` }),
    h('span', { class: 'done' }, `${int(p.done)} / ${int(p.total)}`),
  );
}

const accuracyCell = (r: RunView) => {
  const p = r.progress;
  if (!p || p.accuracy === null) return 'n/a';
  const scored = p.correct + p.incorrect;
  return h('span', { title: `${scored} scored; stderr ${pct(p.stderr)}` }, pct(p.accuracy));
};

/** Cancel, with a confirmation in place (Escape or "Keep running" leaves it). */
function cancelCell(r: RunView, update: (v: RunView) => void): HTMLElement | string {
  if (!r.active) return '';
  const cell = h('span', { class: 'cancel' });
  const ask = h('button', { type: 'button', id: `cancel-${r.id}`, class: 'danger' }, 'Cancel…');
  const showAsk = () => {
    cell.replaceChildren(ask);
  };
  ask.addEventListener('click', () => {
    const yes = h('button', { type: 'button', id: `cancel-yes-${r.id}`, class: 'danger' }, 'Stop it');
    const no = h('button', { type: 'button', id: `cancel-no-${r.id}` }, 'Keep running');
    const status = h('span', { role: 'status', class: 'muted' });
    no.addEventListener('click', () => {
      showAsk();
      ask.focus();
    });
    yes.addEventListener('click', async () => {
      yes.disabled = true;
      no.disabled = true;
      status.replaceChildren('stopping (items in flight finish)…');
      try {
        update(await postJson<RunView>(`runs/${r.id}/cancel`, {}));
      } catch (err) {
        cell.replaceChildren(errorBox(err));
      }
    });
    const group = h(
      'span',
      { role: 'group', 'aria-label': `Stop run #${r.id}?` },
      `Stop run #${r.id}? It is paused and can be resumed. `,
      yes,
      ' ',
      no,
      ' ',
      status,
    );
    group.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && !yes.disabled) no.click();
    });
    cell.replaceChildren(group);
    yes.focus();
  });
  showAsk();
  return cell;
}

function columns(update: (v: RunView) => void): Column<RunView>[] {
  return [
    { label: 'run', value: (r) => `#${r.id}`, numeric: true },
    { label: 'benchmark', value: (r) => r.benchmark },
    { label: 'model', value: (r) => r.model },
    { label: 'label', value: (r) => r.label },
    {
      label: 'status',
      value: (r) =>
        h(
          'span',
          { class: `run-status status-${r.status}`, title: r.reason ?? '' },
          r.status,
          r.active ? ' (live)' : '',
        ),
    },
    { label: 'progress', value: progressCell },
    { label: 'accuracy so far', value: accuracyCell, numeric: true },
    { label: 'errors', value: (r) => (r.progress ? int(r.progress.errors) : 'n/a'), numeric: true },
    {
      label: 'updated (UTC)',
      value: (r) => h('span', { class: 'nowrap' }, r.updated_at.replace('T', ' ').slice(0, 19)),
    },
    { label: 'action', value: (r) => cancelCell(r, update) },
    {
      label: 'results',
      title: "the run's results as a file (POST /exports, kind results)",
      value: (r) => exportButtons('results', () => ({ benchmark: r.benchmark, runs: [r.id] }), ['csv']),
    },
  ];
}

/**
 * Rewrites a row's cells from a newer view; the buttons' cells stay (the cancel cell changes only when the run
 * stops), so a focused button keeps its focus.
 */
function redraw(tr: HTMLTableRowElement, cols: Column<RunView>[], before: RunView, now: RunView): void {
  cols.forEach((c, i) => {
    const td = tr.cells[i];
    if (!td || c.label === 'results' || (c.label === 'action' && before.active === now.active)) return;
    const v = c.value(now);
    td.replaceChildren(v instanceof Node ? v : v === null || v === undefined || v === false ? '' : String(v));
  });
  tr.dataset.status = now.status;
}

/** Follows an active run's events until it stops, the user moves on (`signal`), or the stream fails. */
function follow(id: number, signal: AbortSignal, onView: (v: RunView, last: boolean) => void): void {
  const es = new EventSource(withWorkspace(`runs/${id}/events`));
  const close = () => es.close();
  signal.addEventListener('abort', close);
  es.addEventListener('progress', (e) => onView(JSON.parse((e as MessageEvent).data), false));
  es.addEventListener('end', (e) => {
    close();
    onView(JSON.parse((e as MessageEvent).data), true);
  });
  // no automatic reconnect loop: the row keeps its last view, a reload follows again
  es.addEventListener('error', close);
}

async function runsList(box: HTMLElement, params: URLSearchParams, signal: AbortSignal): Promise<void> {
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);
  const query = {
    benchmark: params.get('benchmark') ?? undefined,
    status: params.get('status') ?? undefined,
    limit: PAGE_SIZE,
    offset: (page - 1) * PAGE_SIZE,
  };
  const wait = loading('Loading runs…');
  box.replaceChildren(wait);
  let list: RunList;
  try {
    list = await getJson<RunList>('runs', query, { signal });
  } catch (err) {
    box.replaceChildren(errorBox(err));
    return;
  }
  if (list.runs.length === 0) {
    box.replaceChildren(
      empty(
        list.total > 0
          ? `No runs on page ${page}: there are ${list.total}; go back to the first page.`
          : query.benchmark || query.status
            ? 'No run matches these filters: choose another benchmark or status.'
            : 'No runs yet: import a results file above, or start one (evalhouse run, or POST /runs).',
      ),
    );
    return;
  }
  const views = new Map(list.runs.map((r) => [r.id, r]));
  const rowOf = new Map<number, HTMLTableRowElement>();
  const update = (now: RunView) => {
    const tr = rowOf.get(now.id);
    const before = views.get(now.id);
    if (!tr || !before) return;
    redraw(tr, cols, before, now);
    views.set(now.id, now);
  };
  const cols = columns(update);
  const wrap = table(
    `Runs ${query.offset + 1}–${query.offset + list.runs.length} of ${list.total}, newest first`,
    cols,
    list.runs,
    'runs',
  );
  wrap.querySelectorAll('tbody tr').forEach((tr, i) => {
    const r = list.runs[i]!;
    (tr as HTMLTableRowElement).dataset.runId = String(r.id);
    (tr as HTMLTableRowElement).dataset.status = r.status;
    rowOf.set(r.id, tr as HTMLTableRowElement);
  });
  const { view } = currentRoute();
  const pageLink = (p: number, text: string, rel: string) =>
    h(
      'a',
      { href: href(view, { benchmark: query.benchmark, status: query.status, page: p > 1 ? p : null }), rel },
      text,
    );
  const pages = Math.ceil(list.total / PAGE_SIZE);
  box.replaceChildren(
    wrap,
    h(
      'nav',
      { class: 'pager', 'aria-label': 'Pages of runs' },
      page > 1 ? pageLink(page - 1, '← newer', 'prev') : '',
      h('span', { class: 'muted' }, ` page ${page} of ${pages} `),
      page < pages ? pageLink(page + 1, 'older →', 'next') : '',
    ),
  );
  for (const r of list.runs) {
    if (!r.active) continue;
    follow(r.id, signal, (now, last) => {
      update(now);
      // a run that stopped changed the data the other views show
      if (last) forget();
    });
  }
}

export const runsView: View = {
  id: 'runs',
  title: 'Runs and imports',
  nav: true,
  async render({ root, params, signal }: ViewContext) {
    root.append(h('h1', {}, 'Runs and imports'));
    const box = h('div', { class: 'runs-list' });
    const known = (await benchmarks()).benchmarks.map((b) => b.benchmark);
    root.append(
      importPanel(() => void runsList(box, params, signal)),
      h(
        'section',
        { 'aria-labelledby': 'runs-title' },
        h('h2', { id: 'runs-title' }, 'Runs'),
        h(
          'div',
          { class: 'controls' },
          select(
            'runs-benchmark',
            'Benchmark',
            known,
            params.get('benchmark'),
            (v) => setParams({ benchmark: v, page: null }),
            {
              none: 'all benchmarks',
            },
          ),
          select(
            'runs-status',
            'Status',
            RUN_STATUSES,
            params.get('status'),
            (v) => setParams({ status: v, page: null }),
            {
              none: 'any status',
            },
          ),
        ),
        box,
      ),
    );
    await runsList(box, params, signal);
  },
};
