/**
 * Members and roles of the current workspace (admins): the list (GET /members), add by email with a role
 * (PUT /members; an unknown email becomes a user without a password, who signs in with Google or GitHub, or
 * gets a password from the CLI), change a role in place, remove with a confirmation (DELETE /members/{id}).
 * The API refuses to leave the workspace without an admin (409): its message is shown as it is.
 */
import { ROLES, type Role } from '../../../accounts/roles.ts';
import { getJson, sendJson } from '../api.ts';
import { empty, errorBox, h, loading, table } from '../dom.ts';
import { currentMe, currentWorkspace } from '../session.ts';
import type { View, ViewContext } from '../view.ts';

interface Member {
  user: { id: number; email: string; name: string | null };
  role: Role;
}

const roleSelect = (id: string, label: string, value: Role) => {
  const s = h(
    'select',
    { id, name: id, 'aria-label': label },
    ROLES.map((r) => h('option', { value: r, selected: r === value }, r)),
  );
  return s;
};

function addForm(onDone: (message: string) => void, status: HTMLElement): HTMLElement {
  const email = h('input', {
    type: 'email',
    id: 'member-email',
    name: 'email',
    required: true,
    autocomplete: 'off',
  });
  const name = h('input', { type: 'text', id: 'member-name', name: 'name', autocomplete: 'off' });
  const role = roleSelect('member-role', 'Role', 'viewer');
  const add = h('button', { type: 'submit', id: 'member-add' }, 'Add member');
  const form = h(
    'form',
    { class: 'controls', 'aria-label': 'Add a member' },
    h('label', { class: 'field', for: 'member-email' }, h('span', {}, 'Email'), email),
    h('label', { class: 'field', for: 'member-name' }, h('span', {}, 'Name (if new)'), name),
    h('label', { class: 'field', for: 'member-role' }, h('span', {}, 'Role'), role),
    add,
  );
  role.removeAttribute('aria-label');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    add.disabled = true;
    try {
      const m = await sendJson<Member>('PUT', 'members', {
        email: email.value,
        role: role.value,
        ...(name.value.trim() ? { name: name.value.trim() } : {}),
      });
      email.value = '';
      name.value = '';
      onDone(`${m?.user.email} is ${m?.role}.`);
    } catch (err) {
      status.replaceChildren(errorBox(err));
    } finally {
      add.disabled = false;
    }
  });
  return form;
}

async function list(box: HTMLElement, status: HTMLElement, signal: AbortSignal): Promise<void> {
  box.replaceChildren(loading('Loading members…'));
  let members: Member[];
  try {
    members = (await getJson<{ members: Member[] }>('members', {}, { signal })).members;
  } catch (err) {
    box.replaceChildren(errorBox(err));
    return;
  }
  if (members.length === 0) {
    box.replaceChildren(empty('No members yet: add one by email above.'));
    return;
  }
  const me = currentMe()?.user?.id;
  const refresh = (message: string) => {
    status.replaceChildren(h('p', { role: 'status' }, message));
    void list(box, status, signal);
  };
  const roleCell = (m: Member) => {
    const s = roleSelect(`role-${m.user.id}`, `Role of ${m.user.email}`, m.role);
    s.addEventListener('change', async () => {
      s.disabled = true;
      try {
        await sendJson('PUT', 'members', { email: m.user.email, role: s.value });
        refresh(`${m.user.email} is now ${s.value}.`);
      } catch (err) {
        s.value = m.role;
        s.disabled = false;
        status.replaceChildren(errorBox(err));
      }
    });
    return s;
  };
  const removeCell = (m: Member) => {
    const cell = h('span', { class: 'remove' });
    const ask = h('button', { type: 'button', class: 'danger', id: `remove-${m.user.id}` }, 'Remove…');
    ask.addEventListener('click', () => {
      const yes = h('button', { type: 'button', class: 'danger', id: `remove-yes-${m.user.id}` }, 'Remove');
      const no = h('button', { type: 'button', id: `remove-no-${m.user.id}` }, 'Keep');
      no.addEventListener('click', () => {
        cell.replaceChildren(ask);
        ask.focus();
      });
      yes.addEventListener('click', async () => {
        yes.disabled = true;
        try {
          await sendJson('DELETE', `members/${m.user.id}`);
          refresh(`${m.user.email} was removed (their keys of this workspace are revoked).`);
        } catch (err) {
          cell.replaceChildren(ask);
          status.replaceChildren(errorBox(err));
        }
      });
      cell.replaceChildren(
        h(
          'span',
          { role: 'group', 'aria-label': `Remove ${m.user.email}?` },
          `Remove ${m.user.email}? `,
          yes,
          ' ',
          no,
        ),
      );
      yes.focus();
    });
    cell.append(ask);
    return cell;
  };
  const wrap = table(
    `${members.length} member${members.length === 1 ? '' : 's'}`,
    [
      { label: 'email', value: (m) => (m.user.id === me ? `${m.user.email} (you)` : m.user.email) },
      { label: 'name', value: (m) => m.user.name ?? '' },
      { label: 'role', value: roleCell },
      { label: 'action', value: removeCell },
    ],
    members,
    'members',
  );
  wrap.querySelectorAll('tbody tr').forEach((tr, i) => {
    (tr as HTMLElement).dataset.userId = String(members[i]?.user.id);
  });
  box.replaceChildren(wrap);
}

export const membersView: View = {
  id: 'members',
  title: 'Members',
  nav: true,
  needs: 'admin',
  async render({ root, signal }: ViewContext) {
    const ws = currentWorkspace();
    root.append(
      h('h1', {}, 'Members and roles'),
      h(
        'p',
        { class: 'muted' },
        `Workspace ${ws?.name ?? ''} (${ws?.slug ?? ''}). Viewers read and analyse; editors also import and run; admins also manage members, keys, settings and the audit log.`,
      ),
    );
    const status = h('div', { class: 'member-status', 'aria-live': 'polite' });
    const box = h('div', { class: 'members-list' });
    root.append(
      addForm((message) => {
        status.replaceChildren(h('p', { role: 'status' }, message));
        void list(box, status, signal);
      }, status),
      status,
      box,
    );
    await list(box, status, signal);
  },
};
