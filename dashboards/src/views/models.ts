/**
 * The workspace's model registry (#22): the registered models (GET /models) with provider, model id, the
 * key's last four, prices, active and the latest health; a form to register one or edit it (POST /models,
 * PUT /models/{id}; the key is write-only: left empty, it is kept), delete (DELETE /models/{id}), "check now"
 * (POST /models/{id}/health) and a model's health history (GET /models/{id}/health).
 */
import { getJson, sendJson } from '../api.ts';
import { empty, errorBox, h, loading, table } from '../dom.ts';
import type { View, ViewContext } from '../view.ts';

interface Health {
  at: string;
  status: 'ok' | 'error';
  latency_ms: number | null;
  error: string | null;
}
interface Model {
  id: number;
  name: string;
  provider: string;
  model: string;
  base_url: string | null;
  api_key_last4: string | null;
  price_in_per_mtok: number | null;
  price_out_per_mtok: number | null;
  active: boolean;
  health: Health | null;
}

const PROVIDERS = ['openai', 'anthropic', 'google', 'openai-compatible'];
const when = (iso: string) => iso.replace('T', ' ').slice(0, 19);
const healthText = (c: Health | null) =>
  c === null
    ? 'not checked'
    : c.status === 'ok'
      ? `ok, ${c.latency_ms ?? '?'} ms (${when(c.at)})`
      : `error: ${c.error ?? ''} (${when(c.at)})`;

function field(id: string, label: string, input: HTMLElement): HTMLElement {
  return h('label', { class: 'field', for: id }, h('span', {}, label), input);
}

function modelForm(status: HTMLElement, done: () => void): { form: HTMLElement; edit(m: Model): void } {
  let editing: Model | null = null;
  const input = (id: string, o: Record<string, unknown> = {}) =>
    h('input', { type: 'text', id, autocomplete: 'off', ...o }) as HTMLInputElement;
  const name = input('model-name', { required: true });
  const provider = h(
    'select',
    { id: 'model-provider' },
    PROVIDERS.map((p) => h('option', { value: p }, p)),
  ) as HTMLSelectElement;
  const model = input('model-id', { required: true });
  const baseUrl = input('model-base-url', { placeholder: "the provider's" });
  const key = input('model-key', { type: 'password', placeholder: 'write-only' });
  const priceIn = input('model-price-in', { type: 'number', step: 'any', min: 0 });
  const priceOut = input('model-price-out', { type: 'number', step: 'any', min: 0 });
  const active = h('input', { type: 'checkbox', id: 'model-active', checked: true }) as HTMLInputElement;
  const submit = h('button', { type: 'submit', id: 'model-save' }, 'Register model');
  const form = h(
    'form',
    { class: 'controls', 'aria-label': 'Register or edit a model' },
    field('model-name', 'Name', name),
    field('model-provider', 'Provider', provider),
    field('model-id', 'Model id', model),
    field('model-base-url', 'Base URL', baseUrl),
    field('model-key', 'API key', key),
    field('model-price-in', 'USD / 1M in', priceIn),
    field('model-price-out', 'USD / 1M out', priceOut),
    field('model-active', 'Active', active),
    submit,
  );
  const num = (v: string) => (v === '' ? null : Number(v));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    (submit as HTMLButtonElement).disabled = true;
    const body: Record<string, unknown> = {
      name: name.value,
      provider: provider.value,
      model: model.value,
      base_url: baseUrl.value === '' ? null : baseUrl.value,
      price_in_per_mtok: num(priceIn.value),
      price_out_per_mtok: num(priceOut.value),
      active: active.checked,
    };
    if (key.value !== '') body.api_key = key.value; // empty: the stored key is kept
    try {
      if (editing) await sendJson('PUT', `models/${editing.id}`, body);
      else await sendJson('POST', 'models', body);
      status.replaceChildren(h('p', { role: 'status' }, `The model "${name.value}" is saved.`));
      editing = null;
      submit.textContent = 'Register model';
      (form as HTMLFormElement).reset();
      done();
    } catch (err) {
      status.replaceChildren(errorBox(err));
    } finally {
      (submit as HTMLButtonElement).disabled = false;
      key.value = '';
    }
  });
  return {
    form,
    edit(m) {
      editing = m;
      name.value = m.name;
      provider.value = m.provider;
      model.value = m.model;
      baseUrl.value = m.base_url ?? '';
      key.value = '';
      priceIn.value = m.price_in_per_mtok === null ? '' : String(m.price_in_per_mtok);
      priceOut.value = m.price_out_per_mtok === null ? '' : String(m.price_out_per_mtok);
      active.checked = m.active;
      submit.textContent = `Save ${m.name}`;
      name.focus();
    },
  };
}

async function history(box: HTMLElement, m: Model, signal: AbortSignal): Promise<void> {
  box.replaceChildren(loading(`Loading the health of ${m.name}…`));
  try {
    const { checks } = await getJson<{ checks: Health[] }>(`models/${m.id}/health`, {}, { signal });
    box.replaceChildren(
      h('h2', { id: 'health-title' }, `Health of ${m.name}, newest first`),
      checks.length === 0
        ? empty('Not checked yet.')
        : table(
            `${checks.length} check${checks.length === 1 ? '' : 's'}`,
            [
              { label: 'at (UTC)', value: (c) => when(c.at) },
              { label: 'status', value: (c) => c.status },
              { label: 'latency (ms)', value: (c) => (c.latency_ms === null ? '' : String(c.latency_ms)) },
              { label: 'error', value: (c) => c.error ?? '' },
            ],
            checks,
            'health',
          ),
    );
  } catch (err) {
    box.replaceChildren(errorBox(err));
  }
}

async function list(
  box: HTMLElement,
  status: HTMLElement,
  historyBox: HTMLElement,
  edit: (m: Model) => void,
  signal: AbortSignal,
): Promise<void> {
  box.replaceChildren(loading('Loading models…'));
  let models: Model[];
  try {
    models = (await getJson<{ models: Model[] }>('models', {}, { signal })).models;
  } catch (err) {
    box.replaceChildren(errorBox(err));
    return;
  }
  if (models.length === 0) {
    box.replaceChildren(empty('No models registered in this workspace yet.'));
    return;
  }
  const again = () => list(box, status, historyBox, edit, signal);
  const button = (id: string, label: string, aria: string, run: () => Promise<void>, cls = '') => {
    const b = h('button', { type: 'button', id, 'aria-label': aria, ...(cls ? { class: cls } : {}) }, label);
    b.addEventListener('click', async () => {
      (b as HTMLButtonElement).disabled = true;
      try {
        await run();
      } catch (err) {
        status.replaceChildren(errorBox(err));
      } finally {
        (b as HTMLButtonElement).disabled = false;
      }
    });
    return b;
  };
  const actions = (m: Model) =>
    h(
      'span',
      {},
      button(`check-${m.id}`, 'Check now', `Check ${m.name} now`, async () => {
        const c = await sendJson<Health>('POST', `models/${m.id}/health`);
        status.replaceChildren(h('p', { role: 'status' }, `${m.name}: ${healthText(c ?? null)}`));
        await again();
        await history(historyBox, m, signal);
      }),
      ' ',
      button(`history-${m.id}`, 'History', `Health history of ${m.name}`, () =>
        history(historyBox, m, signal),
      ),
      ' ',
      button(`edit-${m.id}`, 'Edit', `Edit ${m.name}`, async () => edit(m)),
      ' ',
      button(
        `delete-${m.id}`,
        'Delete',
        `Delete ${m.name}`,
        async () => {
          await sendJson('DELETE', `models/${m.id}`);
          status.replaceChildren(h('p', { role: 'status' }, `The model "${m.name}" is deleted.`));
          await again();
        },
        'danger',
      ),
    );
  const price = (v: number | null) => (v === null ? '' : String(v));
  const wrap = table(
    `${models.length} model${models.length === 1 ? '' : 's'}`,
    [
      { label: 'name', value: (m) => m.name },
      { label: 'provider', value: (m) => m.provider },
      { label: 'model', value: (m) => m.model },
      { label: 'key', value: (m) => m.api_key_last4 ?? 'none' },
      { label: 'USD / 1M in', value: (m) => price(m.price_in_per_mtok) },
      { label: 'USD / 1M out', value: (m) => price(m.price_out_per_mtok) },
      { label: 'active', value: (m) => (m.active ? 'yes' : 'no') },
      { label: 'health', value: (m) => healthText(m.health) },
      { label: 'actions', value: actions },
    ],
    models,
    'models',
  );
  wrap.querySelectorAll('tbody tr').forEach((tr, i) => {
    (tr as HTMLElement).dataset.modelId = String(models[i]?.id);
  });
  box.replaceChildren(wrap);
}

export const modelsView: View = {
  id: 'models',
  title: 'Models',
  nav: true,
  needs: 'read',
  async render({ root, signal }: ViewContext) {
    root.append(
      h('h1', {}, 'Models'),
      h(
        'p',
        { class: 'muted' },
        'The models this workspace may use. Keys are stored encrypted and shown only as their last four characters.',
      ),
    );
    const status = h('div', { class: 'model-status', 'aria-live': 'polite' });
    const box = h('div', { class: 'models-list' });
    const historyBox = h('section', { class: 'model-health', 'aria-live': 'polite' });
    const refresh = () => void list(box, status, historyBox, f.edit, signal);
    const f = modelForm(status, refresh);
    root.append(f.form, status, box, historyBox);
    await list(box, status, historyBox, f.edit, signal);
  },
};
