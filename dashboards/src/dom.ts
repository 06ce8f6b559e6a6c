/** Small DOM helpers: elements, the loading / empty / error states every view shows, form controls, tables. */
import { num, percent, pValue } from '../../charts/layout.ts';
import { ApiError } from './api.ts';

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

/** `h('a', {href}, 'text')`: attributes (on* are listeners; false/null are left out) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

export function loading(what = 'Loading…'): HTMLElement {
  return h('p', { class: 'state loading', role: 'status', 'aria-live': 'polite' }, what);
}

export function empty(message: string): HTMLElement {
  return h('p', { class: 'state empty', role: 'status' }, message);
}

/** The API's message as it is (and its code), or what went wrong on the way. */
export function errorBox(err: unknown): HTMLElement {
  const e = err instanceof ApiError ? err : null;
  return h(
    'div',
    { class: 'state error', role: 'alert' },
    h('strong', {}, e ? `${e.status || 'no answer'} ${e.code}` : 'Error'),
    h('p', {}, e ? e.message : String((err as Error)?.message ?? err)),
  );
}

/** A labelled select; `value` chosen when among the options. Empty string value = "none". */
export function select(
  id: string,
  label: string,
  options: readonly (string | { value: string; label: string })[],
  value: string | null,
  onChange: (v: string) => void,
  opts: { none?: string } = {},
): HTMLElement {
  const s = h('select', { id, name: id });
  if (opts.none !== undefined) s.append(h('option', { value: '' }, opts.none));
  for (const o of options) {
    const v = typeof o === 'string' ? o : o.value;
    const l = typeof o === 'string' ? o : o.label;
    s.append(h('option', { value: v, selected: v === value }, l));
  }
  s.addEventListener('change', () => onChange(s.value));
  return h('label', { class: 'field', for: id }, h('span', {}, label), s);
}

/** A labelled multiple choice as a list of checkboxes in a collapsible box (scales to dozens of models). */
export function checklist(
  id: string,
  label: string,
  options: readonly string[],
  chosen: readonly string[],
  onChange: (v: string[]) => void,
): HTMLElement {
  const set = new Set(chosen);
  const boxes = options.map((o, i) =>
    h(
      'label',
      { class: 'check' },
      h('input', { type: 'checkbox', id: `${id}-${i}`, value: o, checked: set.has(o) }),
      o,
    ),
  );
  const box = h('div', { class: 'checks', role: 'group', 'aria-label': label }, boxes);
  box.addEventListener('change', () => {
    onChange([...box.querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value));
  });
  const summary = chosen.length === 0 ? 'all' : `${chosen.length} of ${options.length}`;
  return h('details', { class: 'field multi', id }, h('summary', {}, `${label}: ${summary}`), box);
}

export interface Column<T> {
  label: string;
  value: (row: T) => Child;
  /** numbers align right */
  numeric?: boolean;
  title?: string;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/**
 * A plain table (scrolls sideways on a phone), `caption` for screen readers and for its title. The body is written
 * as one escaped HTML string, not element by element: an analysis of 20 models × 57 subjects is 1,140 rows, and
 * creating its ~10,000 cells one by one cost more than the API's answer. Cells that are nodes (links) are put in
 * their place afterwards.
 */
export function table<T>(caption: string, columns: Column<T>[], rows: readonly T[], cls = ''): HTMLElement {
  const nodes: Node[] = [];
  let body = '';
  for (const r of rows) {
    body += '<tr>';
    for (const c of columns) {
      const v = c.value(r);
      const klass = c.numeric ? ' class="num"' : '';
      if (v instanceof Node) {
        body += `<td${klass} data-node="${nodes.length}"></td>`;
        nodes.push(v);
      } else {
        body += `<td${klass}>${v === null || v === undefined || v === false ? '' : escapeHtml(String(v))}</td>`;
      }
    }
    body += '</tr>';
  }
  const tbody = h('tbody');
  tbody.innerHTML = body;
  for (const td of tbody.querySelectorAll<HTMLElement>('td[data-node]')) {
    td.append(nodes[Number(td.dataset.node)]!);
    td.removeAttribute('data-node');
  }
  return h(
    'div',
    { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': caption },
    h(
      'table',
      { class: cls },
      h('caption', {}, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns.map((c) =>
            h('th', { scope: 'col', class: c.numeric ? 'num' : '', title: c.title }, c.label),
          ),
        ),
      ),
      tbody,
    ),
  );
}

/** The exports' number formats (charts/layout.ts), so a page and its export read the same. */
export const pct = (v: number | null | undefined, digits = 1) => percent(num(v), digits);
export const interval = (ci: readonly [number, number] | null | undefined) =>
  ci ? `${percent(ci[0])} – ${percent(ci[1])}` : 'n/a';
export const pv = (p: number | null | undefined) => pValue(num(p));
// one formatter: Number#toLocaleString builds a new one per call (~5 µs), which a 1,000-row table pays twice a row
const INT = new Intl.NumberFormat('en');
export const int = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : INT.format(v));

/** Saves `blob` as a download named `name` (a hidden link clicked; the URL is revoked once the save began). */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
