/**
 * What the registry accepts (#22): the one schema of a model's fields, read by the store (every writer:
 * the API, `evalhouse models import`) and by POST/PUT /models, whose OpenAPI document shows it.
 */
import { z } from 'zod';
import { ModelParamsSchema, PROVIDER_KINDS } from '../ingest/providers/models.ts';

export const MAX_MODEL_NAME = 191;
export const MAX_BASE_URL = 2048;
export const MAX_API_KEY = 4096;
/** USD per 1M tokens: a bound against typos, far above any real price. */
export const MAX_PRICE = 1_000_000;

const price = z.number().min(0).max(MAX_PRICE).nullable();

export const ModelInputSchema = z.strictObject({
  name: z.string().min(1).max(MAX_MODEL_NAME).regex(/^\S+$/, 'no spaces (POST /runs names a model by it)'),
  provider: z.enum(PROVIDER_KINDS),
  model: z.string().min(1).max(MAX_MODEL_NAME).describe('the id the provider knows, e.g. gpt-4o-mini'),
  base_url: z
    .url({ protocol: /^https?$/, error: 'an http(s) URL' })
    .max(MAX_BASE_URL)
    .nullable()
    .optional()
    .describe("absent: the provider's own (openai-compatible needs one)"),
  api_key: z
    .string()
    .min(1)
    .max(MAX_API_KEY)
    .regex(/^\S+$/, 'no spaces')
    .nullable()
    .optional()
    .describe('write-only: answers show api_key_last4; null removes the key'),
  price_in_per_mtok: price.optional().describe('USD per 1M input tokens'),
  price_out_per_mtok: price.optional().describe('USD per 1M output tokens'),
  price_effective_from: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('when a price change takes effect (default: now); earlier runs keep the price of their day'),
  params: ModelParamsSchema.optional().describe('default parameters: temperature, max_tokens, top_p, seed'),
  active: z.boolean().optional(),
});

export const ModelPatchSchema = ModelInputSchema.partial();
