/**
 * The model registry's contract (#22): the models a workspace may use, each with its provider, endpoint,
 * encrypted API key, prices over time and default parameters. Implemented by models/registry-store.ts in
 * the workspace's own database (accountDb(ctx.mysql ?? ctx.duck)); read by the runs routes, the health
 * scheduler and the playground through `registryOf(ctx)` (models/registry.ts).
 */
import type { AuditActor } from '../accounts/types.ts';
import type { ModelDef, ProviderKind } from '../ingest/providers/models.ts';
import type { ModelParams, Prices, RateLimitSnapshot } from '../ingest/providers/types.ts';

/** A price per 1M tokens (USD) from the day it took effect; a result is costed at the price of its day. */
export interface PricePoint {
  price_in_per_mtok: number;
  price_out_per_mtok: number;
  /** ISO date-time the price took effect. */
  effective_from: string;
}

/** The last health check of a model, and what its provider said is left of its limits. */
export interface HealthCheck {
  at: string;
  status: 'ok' | 'error';
  latency_ms: number | null;
  /** A short message without the key or the URL's credentials. */
  error: string | null;
  limits: RateLimitSnapshot | null;
}

/** A registered model as every answer shows it: never the key, only its last four characters. */
export interface RegisteredModel {
  id: number;
  name: string;
  provider: ProviderKind;
  /** The id the provider knows, e.g. "gpt-4o-mini". */
  model: string;
  base_url: string | null;
  /** `…abcd`, or null when the model has no key. */
  api_key_last4: string | null;
  price_in_per_mtok: number | null;
  price_out_per_mtok: number | null;
  /** The current price's date; earlier prices in `prices`. */
  price_effective_from: string | null;
  params: ModelParams;
  active: boolean;
  created_at: string;
  updated_at: string;
  /** The latest check, when there is one. */
  health: HealthCheck | null;
}

/** What POST /models takes (PUT takes the same, every field optional; `api_key: null` removes the key). */
export interface ModelInput {
  name: string;
  provider: ProviderKind;
  model: string;
  base_url?: string | null;
  api_key?: string | null;
  price_in_per_mtok?: number | null;
  price_out_per_mtok?: number | null;
  /** When a price change takes effect (default: now). */
  price_effective_from?: string;
  params?: ModelParams;
  active?: boolean;
}

/** A model ready to call: its definition for createProvider, the clear key (never leaves the server). */
export interface CallableModel {
  model: RegisteredModel;
  def: ModelDef;
  apiKey: string | null;
  prices: Prices | null;
}

export interface ModelRegistry {
  list(o?: { activeOnly?: boolean }): Promise<RegisteredModel[]>;
  get(id: number): Promise<RegisteredModel | null>;
  byName(name: string): Promise<RegisteredModel | null>;
  /** Each mutation writes its audit entry (model.create, model.update, model.delete) in its transaction. */
  create(input: ModelInput, actor: AuditActor): Promise<RegisteredModel>;
  update(id: number, patch: Partial<ModelInput>, actor: AuditActor): Promise<RegisteredModel | null>;
  delete(id: number, actor: AuditActor): Promise<boolean>;
  /** The model with its key decrypted, for a provider call; null when unknown or inactive. */
  callable(idOrName: number | string): Promise<CallableModel | null>;
  /** Its prices over time, oldest first; `priceAt` picks the one in effect at an instant. */
  prices(id: number): Promise<PricePoint[]>;
  priceAt(id: number, at: Date): Promise<Prices | null>;
  recordHealth(id: number, check: HealthCheck): Promise<void>;
  /** Newest first. */
  healthHistory(id: number, o?: { limit?: number }): Promise<HealthCheck[]>;
}
