/**
 * API keys of the current workspace: the list (GET /keys: all for admins, one's own otherwise), create one
 * with a role up to one's own (POST /keys; its token is shown once, with a copy button, and never again), and
 * revoke (DELETE /keys/{id}).
 */
import { ROLES, type Role, roleAtMost } from '../../../accounts/roles.ts';
import { getJson, sendJson } from '../api.ts';
import { empty, errorBox, h, loading, table } from '../dom.ts';
import { currentWorkspace } from '../session.ts';
import type { View, ViewContext } from '../view.ts';

interface Key {
  id: number;
  name: string;
  prefix: string;
  role: Role;
  created_by: { id: number; email: string } | null;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

const day = (iso: string | null) => (iso ? iso.replace('T', ' ').slice(0, 16) : '');

async function copy(text: string, field: HTMLInputElement): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // no clipboard permission (plain http beyond localhost): select it for Ctrl+C
    field.select();
    return document.execCommand?.('copy') ?? false;
  }
}

/** The new key, shown once: a read-only field and a copy button. */
function shownOnce(token: string, name: string): HTMLElement {
  const field = h('input', {
    type: 'text',
    id: 'new-key-token',
    readonly: true,
    value: token,
    size: 60,
    spellcheck: 'false',
  });
  const said = h('span', { role: 'status', class: 'muted', id: 'new-key-copied' });
  const button = h('button', { type: 'button', id: 'new-key-copy' }, 'Copy');
  button.addEventListener('click', async () => {
    said.replaceChildren((await copy(token, field)) ? 'Copied.' : 'Select the key and copy it (Ctrl+C).');
  });
  return h(
    'section',
    { class: 'new-key', 'aria-labelledby': 'new-key-title' },
    h('h2', { id: 'new-key-title' }, `The key "${name}", shown this once`),
    h(
      'p',
      {},
      'Copy it now: the server keeps only a hash of it and cannot show it again. Send it as ',
      h('code', {}, 'Authorization: Bearer <key>'),
      '.',
    ),
    h('label', { class: 'field', for: 'new-key-token' }, h('span', {}, 'API key'), field),
    button,
    ' ',
    said,
  );
}

function createForm(
  mine: Role,
  onCreated: (token: string, key: Key) => void,
  status: HTMLElement,
): HTMLElement {
  const name = h('input', {
    type: 'text',
    id: 'key-name',
    name: 'name',
    required: true,
    autocomplete: 'off',
  });
  const role = h(
    'select',
    { id: 'key-role', name: 'role' },
    ROLES.filter((r) => roleAtMost(r, mine)).map((r) =>
      h('option', { value: r, selected: r === 'viewer' }, r),
    ),
  );
  const days = h('input', {
    type: 'number',
    id: 'key-days',
    name: 'expires_in_days',
    min: 1,
    max: 3650,
    placeholder: 'never',
  });
  const create = h('button', { type: 'submit', id: 'key-create' }, 'Create key');
  const form = h(
    'form',
    { class: 'controls', 'aria-label': 'Create an API key' },
    h('label', { class: 'field', for: 'key-name' }, h('span', {}, 'Name'), name),
    h('label', { class: 'field', for: 'key-role' }, h('span', {}, 'Role'), role),
    h('label', { class: 'field', for: 'key-days' }, h('span', {}, 'Expires in (days)'), days),
    create,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    create.disabled = true;
    try {
      const made = await sendJson<{ key: Key; token: string }>('POST', 'keys', {
        name: name.value,
        role: role.value,
        ...(days.value ? { expires_in_days: Number(days.value) } : {}),
      });
      if (made) onCreated(made.token, made.key);
      name.value = '';
      days.value = '';
    } catch (err) {
      status.replaceChildren(errorBox(err));
    } finally {
      create.disabled = false;
    }
  });
  return form;
}

async function list(box: HTMLElement, status: HTMLElement, signal: AbortSignal): Promise<void> {
  box.replaceChildren(loading('Loading keys…'));
  let keys: Key[];
  try {
    keys = (await getJson<{ keys: Key[] }>('keys', {}, { signal })).keys;
  } catch (err) {
    box.replaceChildren(errorBox(err));
    return;
  }
  if (keys.length === 0) {
    box.replaceChildren(empty('No API keys in this workspace yet.'));
    return;
  }
  const revokeCell = (k: Key) => {
    if (k.revoked_at) return h('span', { class: 'muted' }, `revoked ${day(k.revoked_at)}`);
    const b = h(
      'button',
      { type: 'button', class: 'danger', id: `revoke-${k.id}`, 'aria-label': `Revoke key ${k.name}` },
      'Revoke',
    );
    b.addEventListener('click', async () => {
      b.disabled = true;
      try {
        await sendJson('DELETE', `keys/${k.id}`);
        status.replaceChildren(h('p', { role: 'status' }, `The key "${k.name}" is revoked.`));
        void list(box, status, signal);
      } catch (err) {
        b.disabled = false;
        status.replaceChildren(errorBox(err));
      }
    });
    return b;
  };
  const wrap = table(
    `${keys.length} key${keys.length === 1 ? '' : 's'}, newest first`,
    [
      { label: 'name', value: (k) => k.name },
      { label: 'key', value: (k) => h('code', {}, `${k.prefix}…`) },
      { label: 'role', value: (k) => k.role },
      { label: 'owner', value: (k) => k.created_by?.email ?? '' },
      { label: 'created (UTC)', value: (k) => day(k.created_at) },
      { label: 'expires', value: (k) => day(k.expires_at) || 'never' },
      { label: 'last used', value: (k) => day(k.last_used_at) || 'never' },
      { label: 'action', value: revokeCell },
    ],
    keys,
    'keys',
  );
  wrap.querySelectorAll('tbody tr').forEach((tr, i) => {
    (tr as HTMLElement).dataset.keyId = String(keys[i]?.id);
  });
  box.replaceChildren(wrap);
}

export const keysView: View = {
  id: 'keys',
  title: 'API keys',
  nav: true,
  needs: 'read',
  async render({ root, signal }: ViewContext) {
    const ws = currentWorkspace();
    root.append(
      h('h1', {}, 'API keys'),
      h(
        'p',
        { class: 'muted' },
        `Workspace ${ws?.name ?? ''} (${ws?.slug ?? ''}). A key acts in this workspace with its role, never above its creator's.`,
      ),
    );
    const status = h('div', { class: 'key-status', 'aria-live': 'polite' });
    const shown = h('div', { class: 'new-key-box' });
    const box = h('div', { class: 'keys-list' });
    root.append(
      createForm(
        ws?.role ?? 'viewer',
        (token, key) => {
          status.replaceChildren();
          shown.replaceChildren(shownOnce(token, key.name));
          void list(box, status, signal);
        },
        status,
      ),
      shown,
      status,
      box,
    );
    await list(box, status, signal);
  },
};
