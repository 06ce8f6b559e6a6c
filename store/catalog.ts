import { type Insertable, type Kysely, sql } from 'kysely';
import { errors } from '../core/errors.ts';
import { nameProblem, recordNameProblem } from '../core/names.ts';
import type { RunPrompt } from '../core/store.ts';
import type { CanonicalRecord, FieldType, MetadataField } from '../core/types.ts';
import { MAX_META_COLS } from '../core/types.ts';
import { encodeValue, inferType, widen } from './field-types.ts';
import { sqlTimestamp } from './runs.ts';
import type { StoreTables } from './schema.ts';

export interface BenchmarkEntry {
  id: number;
  slug: string;
  fields: Map<string, MetadataField>;
}

interface ItemEntry {
  id: number;
  /** Bit i set: positional column m<i> holds a value. */
  mask: number;
}

/** A result ready to append: ids resolved, values encoded. */
export interface ResultRow {
  runId: number;
  itemId: number;
  itemKey: string;
  record: CanonicalRecord;
}

/** The store's own gate for names (the import gate reports them per record before this). */
function checkName(what: string, name: string): void {
  const p = nameProblem(name);
  if (p) throw errors.invalidImport(`${what} ${JSON.stringify(name.slice(0, 40))} ${p}`, { [what]: name });
}

/** A name the catalog registered but cannot read back is a bug (e.g. a collation merging names), never a guess. */
function resolved<T>(v: T | undefined, what: string, name: string): T {
  if (v === undefined) throw new Error(`the catalog could not resolve ${what} ${JSON.stringify(name)}`);
  return v;
}

export type NewItem = Insertable<StoreTables['items']>;

/** What a run the catalog registers is created with. */
export interface RunWanted {
  source: string;
  evaluatedAt?: string | null | undefined;
}

/** What the catalog writes through: Kysely on the store's connection, and the engine's bulk insert of items. */
export interface CatalogDb {
  readonly kysely: Kysely<StoreTables>;
  /** Inserts the items whose (benchmark_id, item_key) is not stored yet; ids come from the engine. */
  insertItems(rows: readonly NewItem[]): Promise<void>;
}

/** `m<i>`: the positional metadata columns; `i` is our own column index (0..15), never user text. */
const metaCol = (i: number) => `m${i}` as `m${number}`;
const META_COLS = Array.from({ length: MAX_META_COLS }, (_, i) => metaCol(i));
/**
 * A new item's row, its positional columns still null. Every key is in the literal: objects built key by key,
 * or spread from a template, went slow by the 100k (7 s for 200k items with a spread).
 */
if (MAX_META_COLS !== 16) throw new Error('newItem lists m0..m15: give it the new positional columns');
function newItem(benchmarkId: number, r: CanonicalRecord): NewItem {
  // biome-ignore format: one column per position, as the table has them
  return {
    benchmark_id: benchmarkId, item_key: r.item_id, input: r.input ?? null, reference: r.reference ?? null,
    metadata: JSON.stringify(r.metadata),
    m0: null, m1: null, m2: null, m3: null, m4: null, m5: null, m6: null, m7: null,
    m8: null, m9: null, m10: null, m11: null, m12: null, m13: null, m14: null, m15: null,
  };
}
/** Bit i set where m<i> holds a value. WARNING: raw SQL of our own column names and integers only. */
export const MASK_SQL = `(${Array.from({ length: MAX_META_COLS }, (_, i) => `(CASE WHEN m${i} IS NULL THEN 0 ELSE ${1 << i} END)`).join(' + ')})`;

/**
 * Maps names (benchmark slugs, model names, run labels, item keys, metadata fields) to ids,
 * registering what is new. Safe with several writers on MySQL: every insert ignores
 * collisions and the ids are read back from the database.
 */
export class Catalog {
  readonly benchmarks = new Map<string, BenchmarkEntry>();
  private readonly models = new Map<string, number>();
  private readonly runs = new Map<string, number>();
  private readonly items = new Map<number, Map<string, ItemEntry>>();
  /** Benchmarks whose fields or items changed since the caller last cleared this (their meta tables need a rebuild). */
  readonly changedBenchmarks = new Set<number>();
  /** True when anything in the catalog changed since the caller last cleared it. */
  changed = false;

  private readonly k: Kysely<StoreTables>;

  constructor(private readonly db: CatalogDb) {
    this.k = db.kysely;
  }

  private markChanged(benchmarkId: number): void {
    this.changed = true;
    this.changedBenchmarks.add(benchmarkId);
  }

  /** Drops cached state so the next call reads the database again (after a rollback). */
  reset(): void {
    this.benchmarks.clear();
    this.models.clear();
    this.runs.clear();
    this.items.clear();
  }

  async benchmark(slug: string): Promise<BenchmarkEntry> {
    let b = this.benchmarks.get(slug);
    if (b) return b;
    checkName('benchmark', slug);
    await this.k.insertInto('benchmarks').orIgnore().values({ slug }).execute();
    const row = await this.k
      .selectFrom('benchmarks')
      .select('id')
      .where('slug', '=', slug)
      .executeTakeFirst();
    if (!row) throw new Error(`benchmark ${slug} vanished after insert`);
    b = { id: Number(row.id), slug, fields: new Map() };
    await this.loadFields(b);
    this.benchmarks.set(slug, b);
    return b;
  }

  private async loadFields(b: BenchmarkEntry): Promise<void> {
    const rows = await this.k
      .selectFrom('benchmark_fields')
      .select(['name', 'col', 'type', 'label'])
      .where('benchmark_id', '=', b.id)
      .execute();
    b.fields = new Map(
      rows.map((r) => [
        r.name,
        {
          name: r.name,
          col: r.col === null ? null : Number(r.col),
          type: r.type as FieldType,
          label: r.label,
        },
      ]),
    );
  }

  /** Registers new metadata fields with inferred types and widens types that new values do not fit. */
  private async registerFields(b: BenchmarkEntry, records: CanonicalRecord[]): Promise<void> {
    const seen = new Map<string, FieldType | null>();
    for (const r of records) {
      for (const [name, value] of Object.entries(r.metadata)) {
        const t = inferType(value);
        const prev = seen.get(name);
        seen.set(name, prev == null ? t : t === null ? prev : widen(prev, t));
      }
    }
    await this.registerFieldTypes(b, seen);
  }

  /**
   * Registers the fields of `seen` (name → the type its values need, null: only nulls seen), in its
   * order: a new field takes the next free positional column unless it is text; a known field widens.
   */
  async registerFieldTypes(b: BenchmarkEntry, seen: ReadonlyMap<string, FieldType | null>): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const missing = [...seen.keys()].filter((n) => !b.fields.has(n));
      if (missing.length === 0) break;
      const used = new Set([...b.fields.values()].map((f) => f.col).filter((c) => c !== null));
      let next = 0;
      for (const name of missing) {
        const type = seen.get(name) ?? 'string';
        let col: number | null = null;
        if (type !== 'text') {
          while (used.has(next)) next++;
          if (next < MAX_META_COLS) {
            col = next;
            used.add(next);
          }
        }
        await this.k
          .insertInto('benchmark_fields')
          .orIgnore()
          .values({ benchmark_id: b.id, name, col, type, label: name })
          .execute();
      }
      this.markChanged(b.id);
      await this.loadFields(b); // another writer may have taken a column: read back and retry
    }
    for (const [name, t] of seen) {
      const f = b.fields.get(name);
      if (!f || t === null) continue;
      const w = widen(f.type, t);
      if (w !== f.type) {
        await this.k
          .updateTable('benchmark_fields')
          .set({ type: w })
          .where('benchmark_id', '=', b.id)
          .where('name', '=', name)
          .execute();
        f.type = w;
        this.markChanged(b.id);
      }
    }
  }

  async model(name: string): Promise<number> {
    const known = this.models.get(name);
    if (known !== undefined) return known;
    checkName('model', name);
    await this.k.insertInto('models').orIgnore().values({ name }).execute();
    const row = await this.k.selectFrom('models').select('id').where('name', '=', name).executeTakeFirst();
    const id = Number(resolved(row, 'model', name).id);
    this.models.set(name, id);
    this.changed = true;
    return id;
  }

  async run(
    benchmarkId: number,
    modelId: number,
    label: string,
    source: string,
    config?: unknown,
    evaluatedAt?: string | null,
    prompt?: RunPrompt | null,
    /** Where to write the row (a transaction of the caller's: should it roll back, it calls forgetRun). */
    k: Kysely<StoreTables> = this.k,
  ): Promise<number> {
    const key = `${benchmarkId}|${modelId}|${label}`;
    const known = this.runs.get(key);
    if (known !== undefined) return known;
    checkName('run', label);
    await k
      .insertInto('runs')
      .orIgnore()
      .values({
        benchmark_id: benchmarkId,
        model_id: modelId,
        label,
        source,
        config: config === undefined ? null : JSON.stringify(config),
        evaluated_at: sqlTimestamp(evaluatedAt),
        prompt_name: prompt?.name ?? null,
        prompt_version: prompt?.version ?? null,
        prompt_label: prompt?.label ?? null,
      })
      .execute();
    const row = await k
      .selectFrom('runs')
      .select('id')
      .where('benchmark_id', '=', benchmarkId)
      .where('model_id', '=', modelId)
      .where('label', '=', label)
      .executeTakeFirst();
    const id = Number(resolved(row, 'run', label).id);
    this.runs.set(key, id);
    return id;
  }

  /**
   * The bulk path wrote the benchmark's items itself: the cached item map is dropped (read again when
   * next needed) and the benchmark's meta table is rebuilt with the write.
   */
  itemsWritten(benchmarkId: number): void {
    this.items.delete(benchmarkId);
    this.markChanged(benchmarkId);
  }

  forgetRun(runId: number): void {
    for (const [k, v] of this.runs) if (v === runId) this.runs.delete(k);
  }

  private async itemMap(b: BenchmarkEntry): Promise<Map<string, ItemEntry>> {
    let m = this.items.get(b.id);
    if (m) return m;
    m = new Map();
    await this.readItems(b, m, 0);
    this.items.set(b.id, m);
    return m;
  }

  /** Reads the benchmark's items with an id above `after` into the map. */
  private async readItems(b: BenchmarkEntry, m: Map<string, ItemEntry>, after: number): Promise<void> {
    // the mask is summed in SQL: 3 columns a row to read back rather than 18 (new items come back by the 100k)
    const rows = await this.k
      .selectFrom('items')
      .select(['id', 'item_key', sql<number>`${sql.raw(MASK_SQL)}`.as('mask')])
      .where('benchmark_id', '=', b.id)
      .where('id', '>', after)
      .execute();
    for (const r of rows) m.set(String(r.item_key), { id: Number(r.id), mask: Number(r.mask) });
  }

  /** Resolves every record to (run id, item id), registering what is new. */
  async resolve(records: CanonicalRecord[]): Promise<ResultRow[]> {
    const byBench = new Map<string, CanonicalRecord[]>();
    for (const r of records) {
      const bad = recordNameProblem(r);
      if (bad) throw errors.invalidImport(`${bad.field}: ${bad.message}`, bad);
      const list = byBench.get(r.benchmark);
      if (list) list.push(r);
      else byBench.set(r.benchmark, [r]);
    }
    const out: ResultRow[] = [];
    for (const [slug, recs] of byBench) {
      const b = await this.benchmark(slug);
      // An item's metadata is the item's, not the result's: one record per item says it.
      const firstOfItem = new Map<string, CanonicalRecord>();
      for (const r of recs) if (!firstOfItem.has(r.item_id)) firstOfItem.set(r.item_id, r);
      const distinct = [...firstOfItem.values()];
      await this.registerFields(b, distinct);
      const items = await this.resolveItems(b, distinct);
      const runIds = await this.resolveRuns(b, recs);
      for (const r of recs) {
        const label = r.run ?? 'default';
        const runId = resolved(runIds.get(r.model)?.get(label), 'run', `${r.model}/${label}`);
        const itemId = resolved(items.get(r.item_id), 'item', r.item_id).id;
        out.push({ runId, itemId, itemKey: r.item_id, record: r });
      }
    }
    return out;
  }

  /** Run ids by model, then label, for every (model, run) of the records; new ones are registered in one statement. */
  private async resolveRuns(
    b: BenchmarkEntry,
    recs: CanonicalRecord[],
  ): Promise<Map<string, Map<string, number>>> {
    const wanted = new Map<string, Map<string, RunWanted>>();
    for (const r of recs) {
      let labels = wanted.get(r.model);
      if (!labels) {
        labels = new Map();
        wanted.set(r.model, labels);
      }
      const label = r.run ?? 'default';
      if (!labels.has(label))
        labels.set(label, { source: r.source ?? 'import', evaluatedAt: r.evaluated_at });
    }
    return this.runIds(b, wanted);
  }

  /**
   * Run ids by model, then label; models and runs not stored yet are registered, each kind in one
   * statement (a new run with the given source and date).
   */
  async runIds(
    b: BenchmarkEntry,
    wanted: ReadonlyMap<string, ReadonlyMap<string, RunWanted>>,
  ): Promise<Map<string, Map<string, number>>> {
    for (const m of wanted.keys()) checkName('model', m);
    const newModels = [...wanted.keys()].filter((m) => !this.models.has(m));
    if (newModels.length > 0) {
      await this.k
        .insertInto('models')
        .orIgnore()
        .values(newModels.map((name) => ({ name })))
        .execute();
      const rows = await this.k
        .selectFrom('models')
        .select(['id', 'name'])
        .where('name', 'in', newModels)
        .execute();
      for (const row of rows) this.models.set(row.name, Number(row.id));
      this.changed = true;
    }
    const runKey = (modelId: number, label: string) => `${b.id}|${modelId}|${label}`;
    const missing: Insertable<StoreTables['runs']>[] = [];
    for (const [model, labels] of wanted) {
      for (const [label, r] of labels) {
        checkName('run', label);
        const modelId = resolved(this.models.get(model), 'model', model);
        if (!this.runs.has(runKey(modelId, label)))
          missing.push({
            benchmark_id: b.id,
            model_id: modelId,
            label,
            source: r.source,
            config: null,
            evaluated_at: sqlTimestamp(r.evaluatedAt),
          });
      }
    }
    if (missing.length > 0) {
      await this.k.insertInto('runs').orIgnore().values(missing).execute();
      const rows = await this.k
        .selectFrom('runs')
        .select(['id', 'model_id', 'label'])
        .where('benchmark_id', '=', b.id)
        .execute();
      for (const row of rows) this.runs.set(runKey(Number(row.model_id), row.label), Number(row.id));
    }
    const out = new Map<string, Map<string, number>>();
    for (const [model, labels] of wanted) {
      const ids = new Map<string, number>();
      for (const label of labels.keys())
        ids.set(
          label,
          resolved(this.runs.get(runKey(this.models.get(model)!, label)), 'run', `${model}/${label}`),
        );
      out.set(model, ids);
    }
    return out;
  }

  private async resolveItems(b: BenchmarkEntry, recs: CanonicalRecord[]): Promise<Map<string, ItemEntry>> {
    const items = await this.itemMap(b);
    const fresh = new Map<string, CanonicalRecord>();
    const fill = new Map<string, CanonicalRecord>();
    for (const r of recs) {
      const known = items.get(r.item_id);
      if (!known) {
        if (!fresh.has(r.item_id)) fresh.set(r.item_id, r);
      } else if (hasNewValues(b, r, known.mask)) {
        fill.set(r.item_id, r);
      }
    }
    if (fresh.size > 0) {
      const rows = [...fresh.values()].map((r): NewItem => {
        const item = newItem(b.id, r);
        for (const name in r.metadata) {
          const f = b.fields.get(name);
          if (f && f.col !== null && f.type !== 'text')
            item[META_COLS[f.col]!] = encodeValue(r.metadata[name]!);
        }
        return item;
      });
      await this.db.insertItems(rows);
      this.markChanged(b.id);
      // New ids are above every id we knew (sequence / auto-increment); anything still missing
      // (a concurrent writer's transaction committing out of order) triggers a full re-read.
      let maxId = 0;
      for (const e of items.values()) if (e.id > maxId) maxId = e.id;
      await this.readItems(b, items, maxId);
      if ([...fresh.keys()].some((k) => !items.has(k))) this.items.delete(b.id);
      return this.resolveItemsAfterInsert(b, recs, fill);
    }
    await this.fillItems(b, items, fill);
    return items;
  }

  private async resolveItemsAfterInsert(
    b: BenchmarkEntry,
    recs: CanonicalRecord[],
    fill: Map<string, CanonicalRecord>,
  ): Promise<Map<string, ItemEntry>> {
    const items = await this.itemMap(b);
    for (const r of recs) {
      const known = items.get(r.item_id);
      if (known && hasNewValues(b, r, known.mask)) fill.set(r.item_id, r);
    }
    await this.fillItems(b, items, fill);
    return items;
  }

  /** Metadata a later record brings for a field the item had no value for fills the gap; values are never overwritten. */
  private async fillItems(
    b: BenchmarkEntry,
    items: Map<string, ItemEntry>,
    fill: Map<string, CanonicalRecord>,
  ) {
    for (const r of fill.values()) {
      const entry = items.get(r.item_id)!;
      const values = positional(b, r);
      for (const [col, value] of values.entries()) {
        if (value === null || entry.mask & (1 << col)) continue;
        await this.k
          .updateTable('items')
          .set(metaCol(col), value)
          .where('id', '=', entry.id)
          .where(metaCol(col), 'is', null)
          .execute();
        entry.mask |= 1 << col;
      }
      this.markChanged(b.id);
    }
  }
}

/** The record's metadata in positional column order (null where absent). */
function positional(b: BenchmarkEntry, r: CanonicalRecord): (string | null)[] {
  const values: (string | null)[] = new Array(MAX_META_COLS).fill(null);
  for (const [name, value] of Object.entries(r.metadata)) {
    const f = b.fields.get(name);
    if (f && f.col !== null && f.type !== 'text') values[f.col] = encodeValue(value);
  }
  return values;
}

function hasNewValues(b: BenchmarkEntry, r: CanonicalRecord, mask: number): boolean {
  for (const [name, value] of Object.entries(r.metadata)) {
    if (value === null) continue;
    const f = b.fields.get(name);
    if (f && f.col !== null && !(mask & (1 << f.col))) return true;
  }
  return false;
}
