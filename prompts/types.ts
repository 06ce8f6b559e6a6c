/**
 * Stored prompts (issue #23): a prompt template with immutable numbered versions, one auto-saved draft,
 * labels naming versions, favourites per user. Stored in each workspace's own database
 * (prompts/prompt-store.ts); served by api/routes/prompts.ts; run by `evalhouse run --prompt`.
 */
import { z } from 'zod';
import type { RunPrompt } from '../core/store.ts';
import { ModelParamsSchema } from '../ingest/providers/models.ts';
import type { ModelParams } from '../ingest/providers/types.ts';

/** The label only admins and editors may move (and roll back): what runs in production. */
export const PROTECTED_LABELS: readonly string[] = ['production'];

/** A label's name: a short identifier (`production`, `staging`, `exp-7`). */
export const LABEL = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a label: letters, digits, ".", "_", "-" (up to 64)');
/** A prompt's name: unique in its workspace, usable in `--prompt NAME@VERSION` (no "@"). */
export const PROMPT_NAME = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._/-]{0,190}$/,
    'a prompt name: letters, digits, ".", "_", "-", "/" (up to 191)',
  );
/** A variable: what a `{{slot}}` names (ingest/benchmarks/render.ts). */
export const VARIABLE = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a variable name (an identifier)');

/** Model parameters as the runner takes them (the schema models.yaml's entries use). */
export const PARAMS = ModelParamsSchema.describe('model parameters the prompt is meant for');

/** A template's text: the system part optional, the user part with `{{variable}}` slots. */
export const TEMPLATE = {
  system: z.string().max(200_000).nullable().optional().describe('system message (absent: none)'),
  user: z.string().min(1).max(200_000).describe('user message with {{variable}} slots'),
  variables: z
    .array(VARIABLE)
    .max(100)
    .optional()
    .describe("the template's variables; absent: its slots. Each must be a slot, and each slot declared"),
  params: PARAMS.optional(),
};

export interface Template {
  system: string | null;
  user: string;
  variables: string[];
  params: ModelParams;
}

export interface PromptVersion extends Template {
  version: number;
  message: string | null;
  createdBy: number | null;
  createdAt: string;
}

export interface PromptDraft extends Template {
  baseVersion: number | null;
  updatedBy: number | null;
  updatedAt: string;
}

export interface Prompt {
  id: number;
  name: string;
  description: string | null;
  tags: string[];
  /** The model it is meant for (a models.yaml name), or null. */
  model: string | null;
  params: ModelParams;
  createdBy: number | null;
  createdAt: string;
  updatedAt: string;
  /** The newest version's number; 0 before the first. */
  latestVersion: number;
  /** label → version */
  labels: Record<string, number>;
  /** Whether the asking user marked it. */
  favourite: boolean;
  hasDraft: boolean;
}

/** A run's stored prompt with its template: what the runner renders instead of the benchmark's own. */
export interface ResolvedRunPrompt extends RunPrompt {
  template: Template;
}
