/**
 * A view's whole state lives in the URL's hash: `#/<view>?<params>`, so every view is a link and reloading or
 * sharing it shows the same thing. Lists are repeated keys (`model=a&model=b`): names may hold commas.
 */
export interface Route {
  view: string;
  params: URLSearchParams;
}

export function currentRoute(): Route {
  const hash = location.hash.replace(/^#\/?/, '');
  const q = hash.indexOf('?');
  const view = decodeURIComponent(q < 0 ? hash : hash.slice(0, q)) || 'leaderboard';
  return { view, params: new URLSearchParams(q < 0 ? '' : hash.slice(q + 1)) };
}

export type ParamValue = string | number | boolean | null | undefined | readonly (string | number)[];

/** The link to a view with these parameters (empty ones left out). */
export function href(view: string, params: Record<string, ParamValue> = {}): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '' || v === false) continue;
    if (Array.isArray(v)) for (const x of v) qs.append(k, String(x));
    else qs.set(k, String(v));
  }
  const s = qs.toString();
  return `#/${view}${s ? `?${s}` : ''}`;
}

/**
 * Changes parameters of the current view: `replace` (the default) keeps one history entry per visit, so typing
 * or ticking boxes does not fill the back button; a new view or item is a push.
 */
export function setParams(patch: Record<string, ParamValue>, opts: { push?: boolean } = {}): void {
  const { view, params } = currentRoute();
  const next: Record<string, ParamValue> = {};
  for (const k of new Set(params.keys())) {
    const all = params.getAll(k);
    next[k] = all.length > 1 ? all : all[0];
  }
  Object.assign(next, patch);
  const url = href(view, next);
  if (url === location.hash) return;
  if (opts.push) location.hash = url;
  else {
    history.replaceState(null, '', url);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  }
}

/** All values of a list parameter. */
export const list = (p: URLSearchParams, key: string) => p.getAll(key).filter((v) => v !== '');
