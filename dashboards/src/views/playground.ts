/**
 * The playground (#22): a prompt (system and user, with `{{variables}}` whose inputs appear as they are typed)
 * against up to four registered models at once (GET /models), over one WebSocket (`ws/playground`, protocol in
 * api/playground/protocol.ts): the answers side by side as they stream, the figures under each, a stop button,
 * and the caller's history (GET /playground/runs: open one to fill the editor and run it again, or save its
 * prompt as a prompt template with POST /prompts).
 */
import type { ServerEvent } from '../../../api/playground/protocol.ts';
import { templateSlots } from '../../../ingest/benchmarks/slots.ts';
import { getJson, sendJson, withWorkspace } from '../api.ts';
import { empty, errorBox, h, loading } from '../dom.ts';
import type { View, ViewContext } from '../view.ts';
import { savePromptBody } from './playground-save.ts';

interface Model {
  id: number;
  name: string;
  provider: string;
  model: string;
  active: boolean;
}
interface Params {
  temperature?: number;
  max_tokens?: number;
  top_p?: number;
  seed?: number;
}
interface Output {
  name: string;
  text: string;
  error: string | null;
  ttft_ms: number | null;
  total_ms: number | null;
  tokens_in: number | null;
  tokens_out: number | null;
  cost: number | null;
}
interface Run {
  id: number;
  created_at: string;
  input: {
    system?: string;
    user: string;
    variables: Record<string, string>;
    models: { id: number; name: string; params: Params }[];
  };
  output: Output[];
}

const SLOTS = 4;
const PARAMS = [
  ['temperature', 'Temperature', { min: 0, max: 2, step: 0.1 }],
  ['max_tokens', 'Max tokens', { min: 1, step: 1 }],
  ['top_p', 'Top p', { min: 0, max: 1, step: 0.05 }],
  ['seed', 'Seed', { step: 1 }],
] as const;

const usd = (v: number | null) => (v === null ? 'n/a' : `$${v < 0.01 ? v.toPrecision(3) : v.toFixed(4)}`);
const ms = (v: number | null) => (v === null ? 'n/a' : `${Math.round(v)} ms`);

/** One model slot: its picker and parameters. */
function slotControls(i: number, models: Model[]) {
  const pick = h(
    'select',
    { id: `pg-model-${i}`, name: `model-${i}` },
    h('option', { value: '' }, i === 0 ? 'choose a model' : 'none'),
    models.map((m) => h('option', { value: String(m.id) }, `${m.name} (${m.provider}: ${m.model})`)),
  );
  const inputs = PARAMS.map(([key, label, attrs]) =>
    h('input', {
      type: 'number',
      id: `pg-${key}-${i}`,
      name: key,
      ...attrs,
      'aria-label': `${label}, model ${i + 1}`,
    }),
  );
  const box = h(
    'fieldset',
    { class: 'pg-slot' },
    h('legend', {}, `Model ${i + 1}`),
    h('label', { class: 'field', for: `pg-model-${i}` }, h('span', {}, 'Model'), pick),
    PARAMS.map(([key, label], k) =>
      h('label', { class: 'field small', for: `pg-${key}-${i}` }, h('span', {}, label), inputs[k]!),
    ),
  );
  return {
    box,
    get: (): { id: number; params: Params } | null => {
      if (!pick.value) return null;
      const params: Params = {};
      PARAMS.forEach(([key], k) => {
        const v = inputs[k]!.value;
        if (v !== '') params[key] = Number(v);
      });
      return { id: Number(pick.value), params };
    },
    set: (m: { id: number; params: Params } | null) => {
      pick.value = m && models.some((x) => x.id === m.id) ? String(m.id) : '';
      PARAMS.forEach(([key], k) => {
        const v = m?.params[key];
        inputs[k]!.value = v === undefined ? '' : String(v);
      });
    },
  };
}

/** One answer panel: the model's name, its text as it streams, its figures or its error. */
function answerPanel(i: number, name: string) {
  const text = h('pre', { class: 'pg-text', id: `pg-text-${i}`, 'aria-live': 'off' });
  const figures = h('p', { class: 'pg-figures muted', id: `pg-figures-${i}` }, 'streaming…');
  const panel = h(
    'section',
    { class: 'pg-answer', id: `pg-answer-${i}`, 'aria-label': `Answer of ${name}` },
    h('h2', {}, name),
    text,
    figures,
  );
  return {
    panel,
    append: (d: string) => text.append(d),
    done: (e: Omit<Output, 'name' | 'text' | 'error'>) => {
      figures.dataset.state = 'done';
      figures.textContent = `first token ${ms(e.ttft_ms)} · total ${ms(e.total_ms)} · tokens ${e.tokens_in ?? 'n/a'} in, ${e.tokens_out ?? 'n/a'} out · cost ${usd(e.cost)}`;
    },
    error: (message: string) => {
      figures.dataset.state = 'error';
      figures.className = 'pg-figures bad';
      figures.setAttribute('role', 'alert');
      figures.textContent = message;
    },
  };
}

function socketUrl(): string {
  const u = new URL(withWorkspace('ws/playground'), location.href);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.href;
}

export const playgroundView: View = {
  id: 'playground',
  title: 'Playground',
  nav: true,
  needs: 'write',
  async render({ root, signal }: ViewContext) {
    root.append(
      h('h1', {}, 'Playground'),
      h(
        'p',
        { class: 'muted' },
        'Try a prompt against up to four registered models at once. Write {{name}} in the prompt for a variable.',
      ),
    );
    const body = h('div', {}, loading('Loading models…'));
    root.append(body);
    let models: Model[];
    try {
      const answer = await getJson<{ models: Model[] } | Model[]>('models', {}, { signal });
      models = (Array.isArray(answer) ? answer : answer.models).filter((m) => m.active !== false);
    } catch (err) {
      body.replaceChildren(errorBox(err));
      return;
    }
    if (models.length === 0) {
      body.replaceChildren(
        empty('No model is registered in this workspace yet: add one under POST /models.'),
      );
      return;
    }

    const slots = Array.from({ length: SLOTS }, (_, i) => slotControls(i, models));
    slots[0]!.set({ id: models[0]!.id, params: {} });
    if (models[1]) slots[1]!.set({ id: models[1].id, params: {} });
    const system = h('textarea', { id: 'pg-system', name: 'system', rows: 2, cols: 80 });
    const user = h('textarea', { id: 'pg-user', name: 'user', rows: 5, cols: 80, required: true });
    const vars = h('div', { class: 'controls pg-vars', id: 'pg-vars' });
    const values = new Map<string, string>();
    const drawVars = () => {
      for (const el of vars.querySelectorAll('input')) values.set(el.name, el.value);
      const names = templateSlots({ system: system.value, user: user.value });
      vars.replaceChildren(
        ...names.map((n) =>
          h(
            'label',
            { class: 'field', for: `pg-var-${n}` },
            h('span', {}, `{{${n}}}`),
            h('input', { type: 'text', id: `pg-var-${n}`, name: n, value: values.get(n) ?? '' }),
          ),
        ),
      );
    };
    system.addEventListener('input', drawVars);
    user.addEventListener('input', drawVars);

    const run = h('button', { type: 'submit', id: 'pg-run' }, 'Run');
    const stop = h('button', { type: 'button', id: 'pg-stop', disabled: true }, 'Stop');
    const saveName = h('input', {
      type: 'text',
      id: 'pg-save-name',
      name: 'prompt-name',
      placeholder: 'prompt name',
    });
    const save = h('button', { type: 'button', id: 'pg-save' }, 'Save as prompt');
    const status = h('div', { id: 'pg-status', 'aria-live': 'polite' });
    const answers = h('div', { class: 'pg-answers', id: 'pg-answers' });
    const history = h('section', {
      class: 'pg-history',
      id: 'pg-history',
      'aria-labelledby': 'pg-history-title',
    });

    const form = h(
      'form',
      { class: 'pg-editor', 'aria-label': 'Prompt' },
      h(
        'div',
        { class: 'pg-slots' },
        slots.map((s) => s.box),
      ),
      h('label', { class: 'field', for: 'pg-system' }, h('span', {}, 'System prompt'), system),
      h('label', { class: 'field', for: 'pg-user' }, h('span', {}, 'User message'), user),
      vars,
      h(
        'div',
        { class: 'controls' },
        run,
        stop,
        h('label', { class: 'field', for: 'pg-save-name' }, h('span', {}, 'Save as'), saveName),
        save,
      ),
    );
    body.replaceChildren(form, status, answers, history);

    let ws: WebSocket | null = null;
    let panels: ReturnType<typeof answerPanel>[] = [];
    signal.addEventListener('abort', () => ws?.close());
    const running = (on: boolean) => {
      run.disabled = on;
      stop.disabled = !on;
      document.documentElement.dataset.playground = on ? 'running' : 'idle';
    };

    const onEvent = (e: ServerEvent) => {
      if (e.type === 'start') return;
      if (e.type === 'end') {
        running(false);
        status.replaceChildren(
          h('p', { role: 'status' }, e.stopped ? 'Stopped.' : e.run_id === null ? 'Not run.' : 'Done.'),
        );
        if (e.run_id !== null) void drawHistory();
        return;
      }
      if (e.model === null) {
        if (e.type === 'error') status.replaceChildren(h('p', { class: 'bad', role: 'alert' }, e.message));
        return;
      }
      const p = panels[e.model];
      if (!p) return;
      if (e.type === 'token') p.append(e.delta);
      else if (e.type === 'done') p.done(e);
      else if (e.type === 'error') p.error(e.message);
    };

    const connect = () =>
      new Promise<WebSocket>((resolve, reject) => {
        if (ws && ws.readyState === WebSocket.OPEN) return resolve(ws);
        const s = new WebSocket(socketUrl());
        s.addEventListener('open', () => resolve(s), { once: true });
        s.addEventListener(
          'error',
          () =>
            reject(
              new Error('the playground socket did not open (signed out, or no write permission here?)'),
            ),
          { once: true },
        );
        s.addEventListener('message', (m) => onEvent(JSON.parse(String(m.data)) as ServerEvent));
        s.addEventListener('close', () => {
          if (ws === s) ws = null;
          if (run.disabled) {
            running(false);
            status.replaceChildren(h('p', { class: 'bad', role: 'alert' }, 'The connection closed.'));
          }
        });
        ws = s;
      });

    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const chosen = slots.map((s) => s.get()).filter((m) => m !== null);
      if (chosen.length === 0) {
        status.replaceChildren(h('p', { class: 'bad', role: 'alert' }, 'Choose at least one model.'));
        return;
      }
      const variables: Record<string, string> = {};
      for (const el of vars.querySelectorAll('input')) variables[el.name] = el.value;
      panels = chosen.map((m, i) => answerPanel(i, models.find((x) => x.id === m.id)?.name ?? String(m.id)));
      answers.replaceChildren(...panels.map((p) => p.panel));
      answers.dataset.count = String(panels.length);
      status.replaceChildren(h('p', { role: 'status' }, 'Running…'));
      running(true);
      try {
        const s = await connect();
        s.send(
          JSON.stringify({
            type: 'run',
            ...(system.value ? { system: system.value } : {}),
            user: user.value,
            variables,
            models: chosen,
          }),
        );
      } catch (err) {
        running(false);
        status.replaceChildren(errorBox(err));
      }
    });
    stop.addEventListener('click', () => ws?.send(JSON.stringify({ type: 'stop' })));

    save.addEventListener('click', async () => {
      const name = saveName.value.trim();
      if (!name) {
        status.replaceChildren(h('p', { class: 'bad', role: 'alert' }, 'Name the prompt to save it.'));
        saveName.focus();
        return;
      }
      try {
        await sendJson('POST', 'prompts', savePromptBody(name, system.value, user.value));
        status.replaceChildren(h('p', { role: 'status' }, `Saved as the prompt "${name}".`));
      } catch (err) {
        status.replaceChildren(errorBox(err));
      }
    });

    const open = (r: Run) => {
      system.value = r.input.system ?? '';
      user.value = r.input.user;
      for (const [k, v] of Object.entries(r.input.variables)) values.set(k, v);
      vars.replaceChildren();
      drawVars();
      slots.forEach((s, i) => {
        s.set(r.input.models[i] ?? null);
      });
      panels = r.output.map((o, i) => answerPanel(i, o.name));
      r.output.forEach((o, i) => {
        panels[i]!.append(o.text);
        if (o.error) panels[i]!.error(o.error);
        else panels[i]!.done(o);
      });
      answers.replaceChildren(...panels.map((p) => p.panel));
      status.replaceChildren(h('p', { role: 'status' }, `Run ${r.id} opened: press Run to run it again.`));
    };

    const drawHistory = async () => {
      let runs: Run[];
      try {
        runs = (await getJson<{ runs: Run[] }>('playground/runs', {}, { signal })).runs;
      } catch (err) {
        history.replaceChildren(errorBox(err));
        return;
      }
      history.replaceChildren(
        h('h2', { id: 'pg-history-title' }, 'Your last runs'),
        runs.length === 0
          ? empty('No run yet.')
          : h(
              'ol',
              { class: 'pg-runs' },
              runs.map((r) => {
                const b = h(
                  'button',
                  { type: 'button', class: 'pg-open', 'data-run-id': r.id },
                  `${r.created_at.replace('T', ' ').slice(0, 19)} · ${r.input.models.map((m) => m.name).join(', ')}`,
                );
                b.addEventListener('click', () => open(r));
                return h('li', {}, b, ' ', h('span', { class: 'muted' }, r.input.user.slice(0, 80)));
              }),
            ),
      );
    };
    running(false);
    await drawHistory();
  },
};
