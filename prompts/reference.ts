import { errors } from '../core/errors.ts';
import type { PromptStore } from './prompt-store.ts';
import type { ResolvedRunPrompt } from './types.ts';

/**
 * `NAME`, `NAME@VERSION` (a number) or `NAME@LABEL`: which stored prompt version a run uses. NAME alone
 * is the version its `production` label points at, else its newest version.
 */
export function parsePromptRef(ref: string): { name: string; version?: number; label?: string } {
  const at = ref.lastIndexOf('@');
  if (at < 0) return { name: ref };
  const name = ref.slice(0, at);
  const tail = ref.slice(at + 1);
  if (!name || !tail)
    throw errors.badRequest(`prompt ${JSON.stringify(ref)}: give NAME, NAME@VERSION or NAME@LABEL`);
  return /^\d+$/.test(tail) ? { name, version: Number(tail) } : { name, label: tail };
}

/** The version a reference names, with its template; 404 naming what is missing. */
export async function resolvePromptRef(store: PromptStore, ref: string): Promise<ResolvedRunPrompt> {
  const r = parsePromptRef(ref);
  const p = await store.byName(r.name);
  if (!p) throw errors.notFound('prompt', r.name);
  let version: number;
  let label: string | null = null;
  if (r.version !== undefined) version = r.version;
  else if (r.label !== undefined) {
    const v = p.labels[r.label];
    if (v === undefined) throw errors.notFound(`label of prompt ${p.name}`, r.label, Object.keys(p.labels));
    version = v;
    label = r.label;
  } else if (p.labels.production !== undefined) {
    version = p.labels.production;
    label = 'production';
  } else version = p.latestVersion;
  const v = version > 0 ? await store.version(p.id, version) : null;
  if (!v) throw errors.notFound(`version of prompt ${p.name}`, String(version));
  return {
    name: p.name,
    version: v.version,
    label,
    template: { system: v.system, user: v.user, variables: v.variables, params: v.params },
  };
}
