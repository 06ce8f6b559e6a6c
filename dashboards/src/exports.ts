/**
 * Export buttons: the query a view shows, sent as it is to POST /exports, the answer saved under the name the
 * API gives it (Content-Disposition). The same query, so the file holds what the page shows.
 */
import { ApiError, request } from './api.ts';
import { errorBox, h, saveBlob } from './dom.ts';

export type ExportKind = 'analysis' | 'compare' | 'items' | 'summary' | 'results';
const FORMATS = ['xlsx', 'pdf', 'csv', 'parquet'] as const;

function fileName(disposition: string | null, fallback: string): string {
  const star = disposition?.match(/filename\*=UTF-8''([^;]+)/i);
  if (star?.[1]) return decodeURIComponent(star[1]);
  const plain = disposition?.match(/filename="?([^";]+)"?/i);
  return plain?.[1] ?? fallback;
}

async function download(kind: ExportKind, format: string, query: unknown): Promise<string> {
  const res = await request('exports', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: '*/*' },
    body: JSON.stringify({ kind, format, query }),
  });
  const name = fileName(res.headers.get('content-disposition'), `evalhouse-${kind}.${format}`);
  saveBlob(await res.blob(), name);
  return name;
}

/** A row of buttons, one per format; `query()` is read at click time (the view's current state). */
export function exportButtons(
  kind: ExportKind,
  query: () => unknown,
  formats: readonly string[] = FORMATS,
): HTMLElement {
  const status = h('span', { class: 'export-status', role: 'status', 'aria-live': 'polite' });
  const bar = h(
    'div',
    { class: 'exports', role: 'group', 'aria-label': 'Export' },
    h('span', { class: 'muted' }, 'Export'),
  );
  for (const f of formats) {
    const b = h('button', { type: 'button', class: 'export', 'data-format': f }, f);
    b.addEventListener('click', async () => {
      b.disabled = true;
      status.replaceChildren(`preparing ${f}…`);
      try {
        status.replaceChildren(`saved ${await download(kind, f, query())}`);
      } catch (err) {
        status.replaceChildren(err instanceof ApiError ? errorBox(err) : String(err));
      } finally {
        b.disabled = false;
      }
    });
    bar.append(b);
  }
  bar.append(status);
  return bar;
}
