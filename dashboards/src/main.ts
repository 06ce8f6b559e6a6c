/**
 * The single-page UI: the hash names a view and holds its state (state.ts); each change renders the view again
 * into a fresh element and puts the focus back where it was. `html[data-ready]` says the view settled (the
 * end-to-end tests wait for it), `data-first-ready-ms` how long the first one took after navigation start.
 */
// Pretendard (OFL), the exports' font, split by Unicode range: a page loads only the subsets its text uses, and
// Hangul renders on a machine without a Korean font
import 'pretendard/dist/web/variable/pretendardvariable-dynamic-subset.css';
import './style.css';
import { drawAccount } from './account.ts';
import { ApiError, aborted, forget, getJson } from './api.ts';
import { errorBox, h } from './dom.ts';
import { currentMe, type Me, may, setMe } from './session.ts';
import { currentRoute, href } from './state.ts';
import { VIEWS } from './views/index.ts';
import { onSignedIn, signin } from './views/signin.ts';

const main = document.getElementById('main')!;
const nav = document.getElementById('nav')!;
const account = document.getElementById('account')!;
let controller: AbortController | null = null;
let first = true;
/** GET /me is asked once per page (and again after signing in or out); 401: the sign-in page. */
let meAsked = false;

async function ensureMe(): Promise<void> {
  if (meAsked) return;
  try {
    setMe(await getJson<Me>('me'));
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) throw err;
    setMe(null);
  }
  meAsked = true;
}

onSignedIn(() => {
  meAsked = false;
  forget();
  if (currentRoute().view === 'signin') location.hash = '#/';
  else void render();
});

function drawNav(active: string): void {
  const signedIn = currentMe() !== null;
  nav.replaceChildren(
    ...VIEWS.filter((v) => signedIn && v.nav && may(v.needs ?? 'read')).map((v) =>
      h('a', { href: href(v.id), 'aria-current': v.id === active ? 'page' : null }, v.title),
    ),
  );
}

async function render(): Promise<void> {
  const route = currentRoute();
  try {
    await ensureMe();
  } catch (err) {
    main.replaceChildren(errorBox(err));
    document.documentElement.dataset.ready = 'true';
    return;
  }
  // signed out: the sign-in page in place of the one asked for, which shows once signed in
  const view = currentMe() ? VIEWS.find((v) => v.id === route.view) : signin;
  drawAccount(account, () => {
    meAsked = currentMe() !== null;
    void render();
  });
  const focusId = document.activeElement?.id;
  controller?.abort();
  const mine = new AbortController();
  controller = mine;
  document.documentElement.dataset.ready = 'false';
  drawNav(view?.id ?? '');
  const root = h('div', { class: `view view-${route.view}` });
  main.replaceChildren(root);
  document.title = `${view?.title ?? 'Not found'} · evalhouse`;
  const t0 = performance.now();
  try {
    if (!view) {
      root.append(
        h('h1', {}, 'No such view'),
        h(
          'p',
          {},
          `"${route.view}" is not a view of evalhouse. `,
          h('a', { href: href('leaderboard') }, 'Leaderboard'),
        ),
      );
    } else {
      const done = view.render({ root, params: route.params, signal: mine.signal });
      if (focusId) document.getElementById(focusId)?.focus();
      await done;
    }
  } catch (err) {
    if (aborted(err) || mine.signal.aborted) return;
    console.warn(err);
    root.append(errorBox(err));
  }
  if (mine.signal.aborted) return;
  if (focusId && document.activeElement === document.body) document.getElementById(focusId)?.focus();
  const html = document.documentElement;
  html.dataset.renderMs = (performance.now() - t0).toFixed(1);
  if (first) {
    html.dataset.firstReadyMs = performance.now().toFixed(1);
    first = false;
  }
  html.dataset.ready = 'true';
}

window.addEventListener('hashchange', () => void render());
void render();
