/**
 * The model registry of one database (#22): models/types.ts's ModelRegistry over Kysely, one
 * implementation for MySQL and DuckDB (their one difference, how a transaction opens, is AccountDb's).
 *
 * Choices made here:
 * - Keys are sealed under the model's id (models/key-cipher.ts), so a model is inserted first and its key
 *   set in the same transaction; the database's registry scope (a random id in `settings`, made once) is
 *   the other half of the binding.
 * - A price change adds a point (effective_from, default now); a point at the same instant is replaced.
 *   Prices are not removed (a run costed at a price keeps it); 0 stops costing.
 * - Every mutation's audit entry (model.create, model.update, model.delete, model.key_rotate) is written
 *   in its transaction and holds the model as answers show it: the key's last four characters, never more.
 * - The base URL is checked with the API's policy (ingest/providers/url-policy.ts) on create and update
 *   (400) and again before each call (callable: the name may resolve elsewhere since).
 */
import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { isDuplicate } from '../accounts/account-checks.ts';
import type { AccountDb, StoreKysely } from '../accounts/account-db.ts';
import { instant } from '../accounts/account-rows.ts';
import { appendAudit } from '../accounts/audit-log.ts';
import type { AuditActor, AuditEvent } from '../accounts/types.ts';
import type { Config } from '../core/config.ts';
import { errors } from '../core/errors.ts';
import type { ModelDef, ProviderKind } from '../ingest/providers/models.ts';
import { ModelSetupError } from '../ingest/providers/registry.ts';
import type { ModelParams, Prices, RateLimitSnapshot } from '../ingest/providers/types.ts';
import { checkBaseUrl, type Lookup, UrlRefusedError } from '../ingest/providers/url-policy.ts';
import { sqlTimestamp } from '../store/runs.ts';
import type { StoreTables } from '../store/schema.ts';
import {
  KeyCipherError,
  type Keyring,
  keyringOf,
  last4,
  noKeySecret,
  openKey,
  sealKey,
} from './key-cipher.ts';
import { ModelInputSchema, ModelPatchSchema } from './model-input.ts';
import type {
  CallableModel,
  HealthCheck,
  ModelInput,
  ModelRegistry,
  PricePoint,
  RegisteredModel,
} from './types.ts';

type ModelRow = Selectable<StoreTables['registry_models']>;
type PriceRow = Selectable<StoreTables['registry_model_prices']>;
type HealthRow = Selectable<StoreTables['registry_model_health']>;

/** The settings row holding this database's registry scope (half of every key's binding). */
const SCOPE = 'registry_scope';
const HEALTH_LIMIT = 50;
const HEALTH_MAX = 1000;

export interface RegistryOptions {
  config: Pick<Config, 'modelKeys' | 'mysqlUrl' | 'duckdbPath' | 'runs'>;
  /** The workspace its audit entries name (the control database's log is filtered by it). */
  workspaceId: number | null;
  clock?: () => Date;
  /** Name resolution for the base URL check (tests pass their own). */
  lookup?: Lookup;
  keyring?: () => Promise<Keyring | null>;
}

/** A stored JSON value: text on DuckDB and MariaDB, already parsed by mysql2 on MySQL 8. */
const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : (v ?? null));

/** A zod failure as the store's 400: every issue with its field. */
function parsed<T>(
  r:
    | { success: true; data: T }
    | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } },
): T {
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ field: i.path.map(String).join('.'), message: i.message }));
  throw errors.badRequest(
    `invalid model: ${issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join('; ')}`,
    { issues },
  );
}

function toPoint(r: PriceRow): PricePoint {
  return {
    price_in_per_mtok: Number(r.price_in_per_mtok),
    price_out_per_mtok: Number(r.price_out_per_mtok),
    effective_from: instant(r.effective_from),
  };
}

function toHealth(r: HealthRow): HealthCheck {
  return {
    at: instant(r.at),
    status: r.status === 'ok' ? 'ok' : 'error',
    latency_ms: r.latency_ms === null ? null : Number(r.latency_ms),
    error: r.error,
    limits: json(r.limits) as RateLimitSnapshot | null,
  };
}

/** The point in effect at an instant (points oldest first), or null before the first. */
export function pointAt(points: readonly PricePoint[], at: Date): PricePoint | null {
  let found: PricePoint | null = null;
  for (const p of points) if (Date.parse(p.effective_from) <= at.getTime()) found = p;
  return found;
}

/** What an audit entry holds of a model: the answer's view without its health. */
const audited = (m: RegisteredModel) => {
  const { health: _health, ...rest } = m;
  return rest;
};

export class KyselyModelRegistry implements ModelRegistry {
  private readonly clock: () => Date;
  private scopeValue: Promise<string> | null = null;
  private ringValue: Promise<Keyring | null> | null = null;

  constructor(
    private readonly db: AccountDb,
    private readonly opts: RegistryOptions,
  ) {
    this.clock = opts.clock ?? (() => new Date());
  }

  // --- reads

  async list(o: { activeOnly?: boolean } = {}): Promise<RegisteredModel[]> {
    let q = this.db.kysely.selectFrom('registry_models').selectAll().orderBy('name');
    if (o.activeOnly) q = q.where('active', '=', true);
    const rows = await q.execute();
    if (rows.length === 0) return [];
    const prices = await this.db.kysely
      .selectFrom('registry_model_prices')
      .selectAll()
      .orderBy('model_id')
      .orderBy('effective_from')
      .execute();
    const latest = await this.db.kysely
      .selectFrom('registry_model_health as h')
      .selectAll()
      .where('h.at', '=', (eb) =>
        eb
          .selectFrom('registry_model_health as l')
          .select((e) => e.fn.max('l.at').as('at'))
          .whereRef('l.model_id', '=', 'h.model_id'),
      )
      .execute();
    const pricesOf = new Map<number, PricePoint[]>();
    for (const p of prices) {
      const id = Number(p.model_id);
      pricesOf.set(id, [...(pricesOf.get(id) ?? []), toPoint(p)]);
    }
    const healthOf = new Map<number, HealthCheck>();
    for (const h of latest) healthOf.set(Number(h.model_id), toHealth(h));
    return rows.map((r) =>
      this.view(r, pricesOf.get(Number(r.id)) ?? [], healthOf.get(Number(r.id)) ?? null),
    );
  }

  async get(id: number): Promise<RegisteredModel | null> {
    return this.read(this.db.kysely, id);
  }

  async byName(name: string): Promise<RegisteredModel | null> {
    const row = await this.db.kysely
      .selectFrom('registry_models')
      .select('id')
      .where('name', '=', name)
      .executeTakeFirst();
    return row ? this.get(Number(row.id)) : null;
  }

  async prices(id: number): Promise<PricePoint[]> {
    return this.pricesIn(this.db.kysely, id);
  }

  async priceAt(id: number, at: Date): Promise<Prices | null> {
    const p = pointAt(await this.prices(id), at);
    return p ? { input: p.price_in_per_mtok, output: p.price_out_per_mtok } : null;
  }

  async healthHistory(id: number, o: { limit?: number } = {}): Promise<HealthCheck[]> {
    const limit = Math.min(Math.max(1, Math.floor(o.limit ?? HEALTH_LIMIT)), HEALTH_MAX);
    const rows = await this.db.kysely
      .selectFrom('registry_model_health')
      .selectAll()
      .where('model_id', '=', id)
      .orderBy('at', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toHealth);
  }

  async callable(idOrName: number | string): Promise<CallableModel | null> {
    const row = await this.db.kysely
      .selectFrom('registry_models')
      .selectAll()
      .where(typeof idOrName === 'number' ? 'id' : 'name', '=', idOrName)
      .executeTakeFirst();
    if (!row?.active) return null;
    const id = Number(row.id);
    const points = await this.prices(id);
    const model = this.view(row, points, null);
    if (model.base_url) {
      try {
        await this.checkUrl(model.base_url);
      } catch (err) {
        throw new ModelSetupError(`model "${model.name}": ${(err as Error).message}`);
      }
    }
    let apiKey: string | null = null;
    if (row.key_ciphertext !== null && row.key_version !== null) {
      const ring = await this.keyring();
      if (!ring) throw new ModelSetupError(`model "${model.name}": ${noKeySecret().message}`);
      try {
        apiKey = openKey(
          ring,
          { ciphertext: row.key_ciphertext, version: Number(row.key_version) },
          { scope: await this.scope(), modelId: id },
        );
      } catch (err) {
        if (err instanceof KeyCipherError) throw new ModelSetupError(`model "${model.name}": ${err.message}`);
        throw err;
      }
    }
    const current = pointAt(points, this.clock());
    const prices = current ? { input: current.price_in_per_mtok, output: current.price_out_per_mtok } : null;
    const def: ModelDef = {
      name: model.name,
      provider: model.provider,
      model: model.model,
      ...(model.base_url ? { base_url: model.base_url } : {}),
      ...(prices ? { price: prices } : {}),
      ...(Object.keys(model.params).length ? { params: model.params } : {}),
    };
    return { model, def, apiKey, prices };
  }

  // --- mutations

  async create(input: ModelInput, actor: AuditActor): Promise<RegisteredModel> {
    const m = parsed(ModelInputSchema.safeParse(input));
    const hasIn = m.price_in_per_mtok !== undefined && m.price_in_per_mtok !== null;
    const hasOut = m.price_out_per_mtok !== undefined && m.price_out_per_mtok !== null;
    if (hasIn !== hasOut)
      throw errors.badRequest('give price_in_per_mtok and price_out_per_mtok together (or neither)');
    await this.checkEndpoint(m.provider, m.base_url ?? null);
    const sealing = m.api_key ? await this.sealer() : null;
    const now = this.nowSql();
    try {
      return await this.db.transaction(async (trx) => {
        await this.assertFree(trx, m.name, null);
        await trx
          .insertInto('registry_models')
          .values({
            name: m.name,
            provider: m.provider,
            model: m.model,
            base_url: m.base_url ?? null,
            params: JSON.stringify(m.params ?? {}),
            active: m.active ?? true,
            created_at: now,
            updated_at: now,
          })
          .execute();
        const { id } = await trx
          .selectFrom('registry_models')
          .select('id')
          .where('name', '=', m.name)
          .executeTakeFirstOrThrow();
        const modelId = Number(id);
        if (m.api_key && sealing) await this.setKey(trx, modelId, m.api_key, sealing);
        if (hasIn && hasOut)
          await this.addPrice(
            trx,
            modelId,
            m.price_in_per_mtok!,
            m.price_out_per_mtok!,
            m.price_effective_from,
          );
        const after = (await this.read(trx, modelId))!;
        await this.record(trx, actor, {
          action: 'model.create',
          resource: `model:${m.name}`,
          after: audited(after),
        });
        return after;
      });
    } catch (err) {
      if (isDuplicate(err)) throw this.taken(m.name);
      throw err;
    }
  }

  async update(id: number, patch: Partial<ModelInput>, actor: AuditActor): Promise<RegisteredModel | null> {
    const p = parsed(ModelPatchSchema.safeParse(patch));
    if (p.price_in_per_mtok === null || p.price_out_per_mtok === null)
      throw errors.badRequest(
        'a price is not removed (runs costed at it keep it): set a new price, 0 to stop costing',
      );
    const sealing = p.api_key ? await this.sealer() : null;
    // the endpoint as it will be, checked before the transaction (a name lookup must not hold its lock)
    const current = await this.get(id);
    if (!current) return null;
    if (p.base_url !== undefined || p.provider !== undefined)
      await this.checkEndpoint(
        p.provider ?? current.provider,
        p.base_url === undefined ? current.base_url : p.base_url,
      );
    try {
      return await this.db.transaction(async (trx) => {
        const before = await this.read(trx, id);
        if (!before) return null;
        if (p.name !== undefined && p.name !== before.name) await this.assertFree(trx, p.name, id);
        const set: Partial<Record<keyof ModelRow, unknown>> = {};
        if (p.name !== undefined) set.name = p.name;
        if (p.provider !== undefined) set.provider = p.provider;
        if (p.model !== undefined) set.model = p.model;
        if (p.base_url !== undefined) set.base_url = p.base_url;
        if (p.params !== undefined) set.params = JSON.stringify(p.params);
        if (p.active !== undefined) set.active = p.active;
        if (p.api_key === null) {
          set.key_ciphertext = null;
          set.key_version = null;
          set.key_last4 = null;
        }
        if (Object.keys(set).length > 0 || p.api_key !== undefined) {
          await trx
            .updateTable('registry_models')
            .set({ ...set, updated_at: this.nowSql() } as never)
            .where('id', '=', id)
            .execute();
        }
        if (p.api_key && sealing) await this.setKey(trx, id, p.api_key, sealing);
        if (p.price_in_per_mtok !== undefined || p.price_out_per_mtok !== undefined) {
          const pin = p.price_in_per_mtok ?? before.price_in_per_mtok;
          const pout = p.price_out_per_mtok ?? before.price_out_per_mtok;
          if (pin === null || pout === null)
            throw errors.badRequest(
              'the model has no price yet: give price_in_per_mtok and price_out_per_mtok together',
            );
          const same =
            p.price_effective_from === undefined &&
            pin === before.price_in_per_mtok &&
            pout === before.price_out_per_mtok;
          if (!same) await this.addPrice(trx, id, pin, pout, p.price_effective_from);
        }
        const after = (await this.read(trx, id))!;
        await this.record(trx, actor, {
          action: 'model.update',
          resource: `model:${after.name}`,
          before: audited(before),
          after: audited(after),
        });
        return after;
      });
    } catch (err) {
      if (isDuplicate(err) && p.name !== undefined) throw this.taken(p.name);
      throw err;
    }
  }

  async delete(id: number, actor: AuditActor): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      const before = await this.read(trx, id);
      if (!before) return false;
      await trx.deleteFrom('registry_model_health').where('model_id', '=', id).execute();
      await trx.deleteFrom('registry_model_prices').where('model_id', '=', id).execute();
      await trx.deleteFrom('registry_models').where('id', '=', id).execute();
      await this.record(trx, actor, {
        action: 'model.delete',
        resource: `model:${before.name}`,
        before: audited(before),
      });
      return true;
    });
  }

  async recordHealth(id: number, check: HealthCheck): Promise<void> {
    await this.db.transaction((trx) =>
      trx
        .insertInto('registry_model_health')
        .values({
          model_id: id,
          at: sqlTimestamp(check.at)!,
          status: check.status,
          latency_ms: check.latency_ms,
          error: check.error,
          limits: check.limits === null ? null : JSON.stringify(check.limits),
        })
        .execute(),
    );
  }

  /**
   * Re-encrypts every key not under the current secret (`evalhouse keys rotate-secret`), in one
   * transaction with its audit entry; keys of other versions decrypt until then.
   */
  async rotateKeys(actor: AuditActor): Promise<{ reencrypted: number; keys: number; version: number }> {
    const ring = await this.keyring();
    const scope = await this.scope();
    return this.db.transaction(async (trx) => {
      const rows = await trx
        .selectFrom('registry_models')
        .select(['id', 'name', 'key_ciphertext', 'key_version'])
        .where('key_ciphertext', 'is not', null)
        .orderBy('id')
        .execute();
      if (rows.length === 0) return { reencrypted: 0, keys: 0, version: ring?.current.version ?? 0 };
      if (!ring) throw noKeySecret();
      const stale = rows.filter((r) => Number(r.key_version) !== ring.current.version);
      // all decrypted (and so checked) before anything is written: one key that fails stops the rotation
      const resealed = stale.map((r) => {
        const binding = { scope, modelId: Number(r.id) };
        const plain = openKey(
          ring,
          { ciphertext: r.key_ciphertext!, version: Number(r.key_version) },
          binding,
        );
        return { id: Number(r.id), name: r.name, sealed: sealKey(ring, plain, binding) };
      });
      for (const r of resealed) {
        await trx
          .updateTable('registry_models')
          .set({ key_ciphertext: r.sealed.ciphertext, key_version: r.sealed.version })
          .where('id', '=', r.id)
          .execute();
      }
      if (resealed.length > 0)
        await this.record(trx, actor, {
          action: 'model.key_rotate',
          resource: 'models',
          after: { version: ring.current.version, models: resealed.map((r) => r.name) },
        });
      return { reencrypted: resealed.length, keys: rows.length, version: ring.current.version };
    });
  }

  // --- internals

  private nowSql(): string {
    return sqlTimestamp(this.clock().toISOString())!;
  }

  private record(
    trx: StoreKysely,
    by: AuditActor,
    e: Pick<AuditEvent, 'action' | 'resource' | 'before' | 'after'>,
  ) {
    return appendAudit(
      trx,
      this.db.dialect,
      { ...e, workspaceId: this.opts.workspaceId, ...by },
      this.clock(),
    );
  }

  private keyring(): Promise<Keyring | null> {
    this.ringValue ??= (this.opts.keyring ?? (() => keyringOf(this.opts.config)))().catch((err) => {
      this.ringValue = null;
      throw err;
    });
    return this.ringValue;
  }

  /** The keyring and scope a new key is sealed with; 400 where keys cannot be stored. */
  private async sealer(): Promise<{ ring: Keyring; scope: string }> {
    const ring = await this.keyring();
    if (!ring) throw noKeySecret();
    return { ring, scope: await this.scope() };
  }

  private async setKey(trx: StoreKysely, id: number, key: string, s: { ring: Keyring; scope: string }) {
    const sealed = sealKey(s.ring, key, { scope: s.scope, modelId: id });
    await trx
      .updateTable('registry_models')
      .set({ key_ciphertext: sealed.ciphertext, key_version: sealed.version, key_last4: last4(key) })
      .where('id', '=', id)
      .execute();
  }

  /** This database's registry scope: inserted if absent (two processes racing keep the first), then read. */
  scope(): Promise<string> {
    this.scopeValue ??= (async () => {
      const read = () =>
        this.db.kysely.selectFrom('settings').select('value').where('name', '=', SCOPE).executeTakeFirst();
      const have = await read();
      if (have) return have.value;
      await this.db.transaction((trx) =>
        trx.insertInto('settings').orIgnore().values({ name: SCOPE, value: randomUUID() }).execute(),
      );
      const row = await read();
      if (!row) throw new Error('the registry scope was not stored');
      return row.value;
    })().catch((err) => {
      this.scopeValue = null;
      throw err;
    });
    return this.scopeValue;
  }

  private async checkUrl(url: string): Promise<void> {
    await checkBaseUrl(url, this.opts.config.runs, this.opts.lookup);
  }

  private async checkEndpoint(provider: ProviderKind, baseUrl: string | null): Promise<void> {
    if (provider === 'openai-compatible' && !baseUrl)
      throw errors.badRequest('an openai-compatible model needs a base_url (e.g. http://host:8000/v1)');
    if (!baseUrl) return;
    try {
      await this.checkUrl(baseUrl);
    } catch (err) {
      if (err instanceof UrlRefusedError) throw errors.badRequest(err.message, { field: 'base_url' });
      throw err;
    }
  }

  private taken(name: string) {
    return errors.conflict(`a model named ${JSON.stringify(name)} is registered`, { name });
  }

  private async assertFree(trx: StoreKysely, name: string, self: number | null) {
    const row = await trx
      .selectFrom('registry_models')
      .select('id')
      .where('name', '=', name)
      .executeTakeFirst();
    if (row && Number(row.id) !== self) throw this.taken(name);
  }

  private async addPrice(trx: StoreKysely, id: number, pin: number, pout: number, from: string | undefined) {
    const at = sqlTimestamp(from ?? this.clock().toISOString())!;
    await trx
      .deleteFrom('registry_model_prices')
      .where('model_id', '=', id)
      .where('effective_from', '=', at)
      .execute();
    await trx
      .insertInto('registry_model_prices')
      .values({ model_id: id, effective_from: at, price_in_per_mtok: pin, price_out_per_mtok: pout })
      .execute();
  }

  private async pricesIn(k: StoreKysely, id: number): Promise<PricePoint[]> {
    const rows = await k
      .selectFrom('registry_model_prices')
      .selectAll()
      .where('model_id', '=', id)
      .orderBy('effective_from')
      .execute();
    return rows.map(toPoint);
  }

  private async read(k: StoreKysely, id: number): Promise<RegisteredModel | null> {
    const row = await k.selectFrom('registry_models').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return null;
    const health = await k
      .selectFrom('registry_model_health')
      .selectAll()
      .where('model_id', '=', id)
      .orderBy('at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return this.view(row, await this.pricesIn(k, id), health ? toHealth(health) : null);
  }

  private view(r: ModelRow, points: readonly PricePoint[], health: HealthCheck | null): RegisteredModel {
    const current = pointAt(points, this.clock());
    return {
      id: Number(r.id),
      name: r.name,
      provider: r.provider as ProviderKind,
      model: r.model,
      base_url: r.base_url,
      api_key_last4: r.key_ciphertext === null ? null : `…${r.key_last4 ?? ''}`,
      price_in_per_mtok: current?.price_in_per_mtok ?? null,
      price_out_per_mtok: current?.price_out_per_mtok ?? null,
      price_effective_from: current?.effective_from ?? null,
      params: (json(r.params) ?? {}) as ModelParams,
      active: Boolean(r.active),
      created_at: instant(r.created_at),
      updated_at: instant(r.updated_at),
      health,
    };
  }
}
