/**
 * A prompt template's `{{name}}` slots, with no dependency: what render.ts fills, and what the dashboards'
 * playground reads to show one input per variable as the prompt is typed.
 */

/** `{{name}}` or `{{ name }}`; the name is an identifier. */
export const SLOT = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** The variable names a template uses, in order of first use. */
export function templateSlots(template: { system?: string | undefined; user: string }): string[] {
  const out = new Set<string>();
  for (const text of [template.system ?? '', template.user])
    for (const m of text.matchAll(SLOT)) out.add(m[1]!);
  return [...out];
}
