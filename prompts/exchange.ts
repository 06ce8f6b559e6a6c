/**
 * A prompt as a file: its settings, every version (number, text, variables, parameters, message, date) and
 * its labels, as JSON or YAML. Importing an export gives back the same prompt (the same export again):
 * ids, authors (user ids of another database) and the draft are not part of it.
 */
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { errors } from '../core/errors.ts';
import type { PromptImport } from './prompt-store.ts';
import { LABEL, PARAMS, PROMPT_NAME, type Prompt, type PromptVersion, TEMPLATE } from './types.ts';

export const EXCHANGE_FORMAT = 'evalhouse.prompt/1';
export const EXCHANGE_KINDS = ['json', 'yaml'] as const;
export type ExchangeKind = (typeof EXCHANGE_KINDS)[number];

export const PromptDocument = z
  .strictObject({
    format: z.literal(EXCHANGE_FORMAT),
    name: PROMPT_NAME,
    description: z.string().max(10_000).nullable(),
    tags: z.array(z.string().min(1).max(64)).max(50),
    model: z.string().min(1).max(191).nullable(),
    params: PARAMS,
    versions: z
      .array(
        z.strictObject({
          version: z.number().int().min(1),
          system: z.string().max(200_000).nullable(),
          user: TEMPLATE.user,
          variables: z.array(z.string()).max(100),
          params: PARAMS,
          message: z.string().max(10_000).nullable(),
          created_at: z.iso.datetime(),
        }),
      )
      .max(10_000),
    labels: z.record(LABEL, z.number().int().min(1)),
  })
  .superRefine((d, ctx) => {
    d.versions.forEach((v, i) => {
      if (v.version !== i + 1)
        ctx.addIssue({
          code: 'custom',
          message: `versions are numbered 1..n in order: #${i + 1} is ${v.version}`,
          path: ['versions', i, 'version'],
        });
    });
    for (const [label, version] of Object.entries(d.labels)) {
      if (version > d.versions.length)
        ctx.addIssue({
          code: 'custom',
          message: `label ${label} points at version ${version}, which the file lacks`,
          path: ['labels', label],
        });
    }
  });
export type PromptDocument = z.infer<typeof PromptDocument>;

/** The document of a prompt and its versions. */
export function toDocument(p: Prompt, versions: PromptVersion[]): PromptDocument {
  return {
    format: EXCHANGE_FORMAT,
    name: p.name,
    description: p.description,
    tags: p.tags,
    model: p.model,
    params: p.params,
    versions: versions.map((v) => ({
      version: v.version,
      system: v.system,
      user: v.user,
      variables: v.variables,
      params: v.params,
      message: v.message,
      created_at: v.createdAt,
    })),
    labels: { ...p.labels },
  };
}

export function serialize(doc: PromptDocument, kind: ExchangeKind): string {
  // YAML: block scalars keep multi-line text readable; no line folding, which would change nothing but diffs
  return kind === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : stringify(doc, { lineWidth: 0 });
}

/** A document from JSON or YAML text (YAML is a superset of JSON: one parser reads both). 400 when invalid. */
export function parseDocument(text: string): PromptDocument {
  let raw: unknown;
  try {
    raw = parse(text, { maxAliasCount: 100 });
  } catch (err) {
    throw errors.badRequest(`not JSON or YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const r = PromptDocument.safeParse(raw);
  if (!r.success) {
    const issues = r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw errors.badRequest(
      `not a prompt export (${EXCHANGE_FORMAT}): ${issues
        .slice(0, 5)
        .map((i) => `${i.path || '(top)'}: ${i.message}`)
        .join('; ')}`,
      { issues },
    );
  }
  return r.data;
}

/** What the store imports from a document. */
export function importOf(doc: PromptDocument): PromptImport {
  return {
    name: doc.name,
    description: doc.description,
    tags: doc.tags,
    model: doc.model,
    params: doc.params,
    versions: doc.versions.map((v) => ({
      version: v.version,
      system: v.system,
      user: v.user,
      variables: v.variables,
      params: v.params,
      message: v.message,
      createdAt: v.created_at,
    })),
    labels: doc.labels,
  };
}
