/**
 * The sign-in page, shown when GET /me answers 401: the providers the server enables (GET /auth/providers):
 * email and password (POST /auth/login), and links to Google's and GitHub's flows, which come back to `/`.
 */
import { ApiError, getJson, postJson } from '../api.ts';
import { errorBox, h, loading } from '../dom.ts';
import type { View, ViewContext } from '../view.ts';

interface Providers {
  auth: boolean;
  password: boolean;
  google: boolean;
  github: boolean;
}

/** Called once a sign-in succeeded (main.ts loads GET /me again and shows the page asked for). */
let signedIn: () => void = () => location.reload();
export const onSignedIn = (fn: () => void) => {
  signedIn = fn;
};

function passwordForm(): HTMLElement {
  const email = h('input', {
    type: 'email',
    id: 'signin-email',
    name: 'email',
    autocomplete: 'username',
    required: true,
  });
  const password = h('input', {
    type: 'password',
    id: 'signin-password',
    name: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const status = h('div', { class: 'signin-status', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', id: 'signin-submit' }, 'Sign in');
  const form = h(
    'form',
    { class: 'signin-form', 'aria-labelledby': 'signin-password-title' },
    h('h2', { id: 'signin-password-title' }, 'With email and password'),
    h('label', { class: 'field', for: 'signin-email' }, h('span', {}, 'Email'), email),
    h('label', { class: 'field', for: 'signin-password' }, h('span', {}, 'Password'), password),
    submit,
    status,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    status.replaceChildren(h('p', { role: 'status' }, 'Signing in…'));
    try {
      await postJson('auth/login', { email: email.value, password: password.value });
      password.value = '';
      signedIn();
    } catch (err) {
      status.replaceChildren(
        err instanceof ApiError && err.status === 401
          ? h('p', { role: 'alert', class: 'bad' }, 'Wrong email or password.')
          : errorBox(err),
      );
      password.select();
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

export const signin: View = {
  id: 'signin',
  title: 'Sign in',
  nav: false,
  async render({ root, signal }: ViewContext) {
    root.append(h('h1', {}, 'Sign in to evalhouse'));
    const wait = loading('Loading the sign-in options…');
    root.append(wait);
    const p = await getJson<Providers>('auth/providers', {}, { signal });
    wait.remove();
    if (!p.auth) {
      root.append(
        h(
          'p',
          {},
          'Sign-in is off on this server: everyone who reaches it is its admin. ',
          h('a', { href: '#/' }, 'Go to the leaderboard'),
        ),
      );
      return;
    }
    const links = [
      p.google
        ? h('a', { class: 'provider', id: 'signin-google', href: 'auth/google' }, 'Sign in with Google')
        : null,
      p.github
        ? h('a', { class: 'provider', id: 'signin-github', href: 'auth/github' }, 'Sign in with GitHub')
        : null,
    ].filter((x) => x !== null);
    if (p.password) root.append(passwordForm());
    if (links.length)
      root.append(
        h('div', { class: 'providers', role: 'group', 'aria-label': 'Other ways to sign in' }, links),
      );
    if (!p.password && links.length === 0) {
      root.append(
        h(
          'p',
          { role: 'status' },
          'No sign-in method is configured on this server: ask its operator (AUTH_PASSWORD, GOOGLE_*, GITHUB_*), or use an API key.',
        ),
      );
    }
    if (p.password) document.getElementById('signin-email')?.focus();
  },
};
