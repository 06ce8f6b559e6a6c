/**
 * The import panel of the Runs view: drop a file or pick it, name what the file does not (benchmark, model,
 * run), upload with progress, then the API's summary, or its invalid records (file, line, field, message)
 * exactly as it lists them. A file cannot live in the URL, so this panel's state is the page's only.
 */
import type { ImportSummary } from '../../../ingest/import-file.ts';
import { ApiError, forget } from '../api.ts';
import { errorBox, h, int, table } from '../dom.ts';
import { uploadImport } from '../upload.ts';

interface RecordError {
  file?: string;
  line: number;
  field: string;
  message: string;
}

const FORMATS_NOTE =
  'Canonical JSONL or CSV (.jsonl, .csv, gzipped too), an lm-eval results or samples file, an Inspect log (.eval or .json), a promptfoo export (.json). The format is told from the file.';

function textField(id: string, label: string, hint: string): HTMLElement {
  return h(
    'label',
    { class: 'field', for: id },
    h('span', {}, label),
    h('input', { id, name: id, type: 'text', autocomplete: 'off', placeholder: hint }),
  );
}

function summaryOf(s: ImportSummary): HTMLElement {
  const rows: [string, string][] = [
    ['format', s.format],
    ['records read', int(s.read)],
    ['inserted', int(s.inserted)],
    ['duplicates (already stored)', int(s.duplicates)],
    ['skipped (invalid)', int(s.skipped)],
    ['runs', int(s.runs)],
    ['benchmarks', int(s.benchmarks)],
    ['models', int(s.models)],
  ];
  return h(
    'div',
    { class: 'import-summary', role: 'status' },
    h('p', {}, h('strong', {}, `Imported ${s.file}`), `: ${int(s.inserted)} results inserted.`),
    h(
      'dl',
      {},
      rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', { 'data-field': k }, v)]),
    ),
  );
}

function failureOf(err: unknown): HTMLElement {
  const box = h('div', { class: 'import-failure' }, errorBox(err));
  const details = err instanceof ApiError ? (err.details as { errors?: RecordError[] } | null) : null;
  const list = details?.errors ?? [];
  if (list.length > 0) {
    box.append(
      table(
        `Invalid records (${list.length} shown of ${int((details as { errorCount?: number }).errorCount ?? list.length)})`,
        [
          { label: 'file', value: (e) => e.file ?? '' },
          { label: 'line', value: (e) => String(e.line), numeric: true },
          { label: 'field', value: (e) => e.field },
          { label: 'message', value: (e) => e.message },
        ],
        list,
        'import-errors',
      ),
    );
  }
  return box;
}

/** `onImported` runs after a committed import (the runs list redraws; kept answers were forgotten). */
export function importPanel(onImported: () => void): HTMLElement {
  let file: File | null = null;
  const input = h('input', { id: 'imp-file', name: 'imp-file', type: 'file' });
  const start = h('button', { type: 'button', id: 'imp-start', disabled: true }, 'Import');
  const bar = h('progress', {
    id: 'imp-progress',
    max: 100,
    value: 0,
    'aria-label': 'upload progress',
    hidden: true,
  });
  const status = h('p', { id: 'imp-status', class: 'muted', role: 'status', 'aria-live': 'polite' });
  const result = h('div', { id: 'imp-result' });
  const choose = (f: File | null | undefined) => {
    file = f ?? null;
    start.disabled = file === null;
    result.replaceChildren();
    status.replaceChildren();
  };
  input.addEventListener('change', () => choose(input.files?.[0]));
  const zone = h(
    'div',
    { class: 'drop-zone', id: 'imp-drop' },
    h('label', { for: 'imp-file', class: 'drop-label' }, 'Results file: drop it here, or choose it'),
    input,
  );
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    const files = e.dataTransfer?.files;
    // the input shows the dropped file's name, as if it had been picked
    if (files?.length) input.files = files;
    choose(files?.[0]);
  });
  start.addEventListener('click', async () => {
    if (!file) return;
    const val = (id: string) => (document.getElementById(id) as HTMLInputElement | null)?.value.trim() ?? '';
    start.disabled = true;
    bar.hidden = false;
    bar.value = 0;
    result.replaceChildren();
    status.replaceChildren(`uploading ${file.name}…`);
    try {
      const summary = await uploadImport(file, {
        names: { benchmark: val('imp-benchmark'), model: val('imp-model'), run: val('imp-run') },
        onProgress: (sent, total) => {
          bar.value = total > 0 ? Math.round((sent / total) * 100) : 0;
          status.replaceChildren(
            sent >= total
              ? 'uploaded; the server is importing…'
              : `uploading: ${int(sent)} of ${int(total)} bytes`,
          );
        },
      });
      forget();
      status.replaceChildren('done');
      result.replaceChildren(summaryOf(summary));
      onImported();
    } catch (err) {
      status.replaceChildren('not imported');
      result.replaceChildren(failureOf(err));
    } finally {
      bar.hidden = true;
      start.disabled = file === null;
    }
  });
  return h(
    'section',
    { class: 'import', 'aria-labelledby': 'imp-title' },
    h('h2', { id: 'imp-title' }, 'Import a file'),
    h('p', { class: 'note' }, FORMATS_NOTE),
    zone,
    h(
      'div',
      { class: 'controls' },
      textField('imp-benchmark', 'Benchmark (if the file does not name it)', 'from the file'),
      textField('imp-model', 'Model (if the file does not name it)', 'from the file'),
      textField('imp-run', 'Run label (optional)', 'from the file'),
    ),
    h('div', { class: 'controls' }, start, bar),
    status,
    result,
  );
}
