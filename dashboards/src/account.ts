/**
 * The header's account controls: the workspace switcher (the workspace every API call names; remembered) and,
 * for a signed-in user, the user menu with their email and "Sign out" (POST /auth/logout). With auth off the
 * local user has no menu; the switcher lists every workspace.
 */
import { forget, sendJson } from './api.ts';
import { errorBox, h } from './dom.ts';
import { chooseWorkspace, currentMe, currentWorkspace, setMe } from './session.ts';

export function drawAccount(el: HTMLElement, rerender: () => void): void {
  const me = currentMe();
  if (!me) {
    el.replaceChildren();
    return;
  }
  const parts: HTMLElement[] = [];
  const current = currentWorkspace();
  if (me.workspaces.length > 0) {
    const option = (w: (typeof me.workspaces)[number]) =>
      h('option', { value: w.slug, selected: w.slug === current?.slug }, `${w.name} (${w.role})`);
    // with several organisations, their workspaces are grouped under the organisation's name
    const orgs = me.orgs.filter((o) => me.workspaces.some((w) => w.org === o.slug));
    const s = h(
      'select',
      { id: 'workspace-switch', name: 'workspace' },
      orgs.length > 1
        ? orgs.map((o) =>
            h('optgroup', { label: o.name }, me.workspaces.filter((w) => w.org === o.slug).map(option)),
          )
        : me.workspaces.map(option),
    );
    s.addEventListener('change', () => {
      chooseWorkspace(s.value);
      forget();
      rerender();
    });
    parts.push(h('label', { class: 'field inline', for: 'workspace-switch' }, h('span', {}, 'Workspace'), s));
  }
  if (me.principal === 'session' && me.user) {
    const out = h('button', { type: 'button', id: 'sign-out' }, 'Sign out');
    const status = h('span', { 'aria-live': 'polite' });
    out.addEventListener('click', async () => {
      out.disabled = true;
      try {
        await sendJson('POST', 'auth/logout');
        setMe(null);
        forget();
        location.hash = '#/';
        rerender();
      } catch (err) {
        out.disabled = false;
        status.replaceChildren(errorBox(err));
      }
    });
    parts.push(
      h(
        'details',
        { class: 'user-menu' },
        h('summary', { id: 'user-menu' }, h('span', { class: 'sr-only' }, 'Signed in as '), me.user.email),
        h('div', { class: 'user-menu-body' }, me.user.name ? h('p', {}, me.user.name) : '', out, status),
      ),
    );
  }
  el.replaceChildren(...parts);
}
