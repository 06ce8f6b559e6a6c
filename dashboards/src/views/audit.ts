/**
 * The audit log of the current workspace (admins): GET /audit filtered by date range, user and action (the
 * URL holds the filters and the page's cursor), newest first, one page at a time; "Verify the chain" asks
 * GET /audit/verify whether an entry was edited or removed behind the application's back.
 */
import { getJson } from '../api.ts';
import { empty, errorBox, h, loading, table } from '../dom.ts';
import { currentWorkspace } from '../session.ts';
import { currentRoute, href, setParams } from '../state.ts';
import type { View, ViewContext } from '../view.ts';

export const AUDIT_PAGE = 50;

interface Entry {
  id: number;
  database: 'control' | 'workspace';
  at: string;
  action: string;
  resource: string;
  actor: { user_id: number | null; email: string | null; role: string | null; key_id: number | null };
  before: unknown;
  after: unknown;
  request_id: string | null;
  address: string | null;
}

interface Verify {
  ok: boolean;
  chains: { database: string; checked: number; firstBad: { id: number; reason: string } | null }[];
}

const FILTERS = ['from', 'to', 'user', 'action'] as const;

const who = (e: Entry) =>
  `${e.actor.email ?? (e.actor.user_id === null ? 'local user' : `user ${e.actor.user_id}`)}${e.actor.key_id !== null ? ` (key ${e.actor.key_id})` : ''}`;

/** `before → after`; a side that does not apply (a creation's before, a removal's after) is `none`. */
const change = (e: Entry) => {
  const absent = (v: unknown) => v === null || v === undefined;
  if (absent(e.before) && absent(e.after)) return '';
  const side = (v: unknown) => (absent(v) ? 'none' : JSON.stringify(v));
  const text = `${side(e.before)} → ${side(e.after)}`;
  return text.length > 160 ? h('span', { title: text }, `${text.slice(0, 157)}…`) : text;
};

function filters(params: URLSearchParams): HTMLElement {
  const input = (id: (typeof FILTERS)[number], label: string, type: string, placeholder = '') =>
    h(
      'label',
      { class: 'field', for: `audit-${id}` },
      h('span', {}, label),
      h('input', { type, id: `audit-${id}`, name: id, value: params.get(id) ?? '', placeholder }),
    );
  const form = h(
    'form',
    { class: 'controls', 'aria-label': 'Filter the audit log' },
    input('from', 'From (UTC)', 'date'),
    input('to', 'To (UTC)', 'date'),
    input('user', 'User (email or id)', 'text'),
    input('action', 'Action', 'text', 'e.g. member.add'),
    h('button', { type: 'submit', id: 'audit-apply' }, 'Apply'),
    h('a', { href: href('audit'), id: 'audit-clear' }, 'Clear'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const patch: Record<string, string | null> = { before: null };
    for (const f of FILTERS)
      patch[f] = (form.querySelector<HTMLInputElement>(`#audit-${f}`)?.value ?? '').trim() || null;
    setParams(patch, { push: true });
  });
  return form;
}

function verifier(): HTMLElement {
  const result = h('div', { id: 'audit-verify-result', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', id: 'audit-verify' }, 'Verify the chain');
  button.addEventListener('click', async () => {
    button.disabled = true;
    result.replaceChildren(h('p', { role: 'status' }, 'Verifying…'));
    try {
      const v = await getJson<Verify>('audit/verify');
      const lines = v.chains.map((c) =>
        h(
          'li',
          {},
          c.firstBad
            ? h(
                'span',
                { class: 'bad' },
                `${c.database} database: broken at entry #${c.firstBad.id} (${c.firstBad.reason}); ${c.checked} entries checked`,
              )
            : h('span', { class: 'good' }, `${c.database} database: intact, ${c.checked} entries checked`),
        ),
      );
      result.replaceChildren(
        h(
          'p',
          { role: 'status', class: v.ok ? 'good' : 'bad' },
          v.ok
            ? 'The audit chain is intact.'
            : 'The audit chain is broken: an entry was changed outside the application.',
        ),
        h('ul', {}, lines),
      );
    } catch (err) {
      result.replaceChildren(errorBox(err));
    } finally {
      button.disabled = false;
    }
  });
  return h('div', { class: 'audit-verify' }, button, result);
}

async function entries(box: HTMLElement, params: URLSearchParams, signal: AbortSignal): Promise<void> {
  const query: Record<string, string | number | undefined> = {
    limit: AUDIT_PAGE,
    before: params.get('before') ?? undefined,
  };
  for (const f of FILTERS) query[f] = params.get(f) ?? undefined;
  box.replaceChildren(loading('Loading the audit log…'));
  let page: { entries: Entry[]; next: string | null };
  try {
    page = await getJson('audit', query, { signal });
  } catch (err) {
    box.replaceChildren(errorBox(err));
    return;
  }
  const filtered = FILTERS.some((f) => params.get(f));
  if (page.entries.length === 0) {
    box.replaceChildren(empty(filtered ? 'No entry matches these filters.' : 'No audit entries yet.'));
    return;
  }
  const wrap = table(
    `Audit entries, newest first${params.get('before') ? ' (older page)' : ''}`,
    [
      {
        label: 'time (UTC)',
        value: (e) => h('span', { class: 'nowrap' }, e.at.replace('T', ' ').slice(0, 19)),
      },
      { label: 'user', value: who },
      { label: 'role', value: (e) => e.actor.role ?? '' },
      { label: 'action', value: (e) => e.action },
      { label: 'resource', value: (e) => e.resource },
      { label: 'change', value: change },
      { label: 'address', value: (e) => e.address ?? '' },
      {
        label: 'log',
        value: (e) => `${e.database} #${e.id}`,
        title: 'which database holds the entry, and its id there',
      },
    ],
    page.entries,
    'audit',
  );
  wrap.querySelectorAll('tbody tr').forEach((tr, i) => {
    (tr as HTMLElement).dataset.action = page.entries[i]?.action ?? '';
  });
  const { view } = currentRoute();
  const keep = Object.fromEntries(FILTERS.map((f) => [f, params.get(f)]));
  box.replaceChildren(
    wrap,
    h(
      'nav',
      { class: 'pager', 'aria-label': 'Pages of the audit log' },
      params.get('before')
        ? h('a', { href: href(view, keep), rel: 'first', id: 'audit-newest' }, '← newest')
        : '',
      page.next
        ? h(
            'a',
            { href: href(view, { ...keep, before: page.next }), rel: 'next', id: 'audit-older' },
            'older →',
          )
        : '',
    ),
  );
}

export const auditView: View = {
  id: 'audit',
  title: 'Audit log',
  nav: true,
  needs: 'admin',
  async render({ root, params, signal }: ViewContext) {
    const ws = currentWorkspace();
    root.append(
      h('h1', {}, 'Audit log'),
      h(
        'p',
        { class: 'muted' },
        `Workspace ${ws?.name ?? ''} (${ws?.slug ?? ''}): every change to its members, keys, settings and data, who made it, in which role, from where. Entries cannot be edited: each holds a hash of the one before.`,
      ),
      filters(params),
      verifier(),
    );
    const box = h('div', { class: 'audit-list' });
    root.append(box);
    await entries(box, params, signal);
  },
};
