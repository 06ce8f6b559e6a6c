/**
 * A CSV of what a view shows, made in the page: for views whose answer no export kind of POST /exports
 * carries (trends). RFC 4180 quoting; numbers as they are (full precision), empty for null.
 */
import { h, saveBlob } from './dom.ts';

const cell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function toCsv<T extends object>(rows: readonly T[], columns: readonly (keyof T & string)[]): string {
  return [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\r\n');
}

/** A button that saves `csv()` (read at click time) as `name`. */
export function csvButton(name: string, csv: () => string): HTMLElement {
  const b = h('button', { type: 'button', class: 'export', 'data-format': 'csv' }, 'csv');
  b.addEventListener('click', () => {
    saveBlob(new Blob([`\uFEFF${csv()}`], { type: 'text/csv;charset=utf-8' }), name);
  });
  return h(
    'div',
    { class: 'exports', role: 'group', 'aria-label': 'Export' },
    h('span', { class: 'muted' }, 'Export (what is shown, made in the page)'),
    b,
  );
}
