/**
 * Stored prompts on Kysely, the same queries on MySQL and DuckDB (like accounts/account-store.ts), in a
 * workspace's own database. Every change runs in one transaction with its audit entry
 * (accounts/audit-log.ts appendAudit). Versions are only ever inserted: there is no update path, and on
 * MySQL a trigger refuses one (sql/mysql/015_prompts.sql). Numbering: the prompt's row is locked first
 * (MySQL: SELECT … FOR UPDATE; DuckDB: the store's one writer), so two saves at once get n+1 and n+2.
 */
import type { Selectable } from 'kysely';
import { isDuplicate } from '../accounts/account-checks.ts';
import type { AccountDb, StoreKysely } from '../accounts/account-db.ts';
import { instant } from '../accounts/account-rows.ts';
import { appendAudit } from '../accounts/audit-log.ts';
import type { AuditActor } from '../accounts/types.ts';
import { errors } from '../core/errors.ts';
import { templateSlots } from '../ingest/benchmarks/render.ts';
import type { ModelParams } from '../ingest/providers/types.ts';
import { sqlTimestamp } from '../store/runs.ts';
import type { StoreTables } from '../store/schema.ts';
import type { Prompt, PromptDraft, PromptVersion, Template } from './types.ts';

type VersionRow = Selectable<StoreTables['prompt_versions']>;

/** A stored JSON value: text on DuckDB and MariaDB, parsed by mysql2 on MySQL 8. */
const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** What a caller gives for a template: variables default to the template's slots. */
export interface TemplateInput {
  system?: string | null | undefined;
  user: string;
  variables?: string[] | undefined;
  params?: ModelParams | undefined;
}

export interface PromptInput {
  name: string;
  description?: string | null | undefined;
  tags?: string[] | undefined;
  model?: string | null | undefined;
  params?: ModelParams | undefined;
}

/**
 * A template as stored: its declared variables must be exactly its `{{slots}}` (a slot not declared, or a
 * declared variable no slot uses, is refused by name: 400).
 */
export function checkedTemplate(t: TemplateInput): Template {
  const system = t.system ?? null;
  const slots = templateSlots({ system: system ?? undefined, user: t.user });
  const variables = t.variables ?? slots;
  const undeclared = slots.filter((s) => !variables.includes(s));
  const unused = variables.filter((v) => !slots.includes(v));
  const repeated = variables.filter((v, i) => variables.indexOf(v) !== i);
  if (undeclared.length || unused.length || repeated.length) {
    const parts: string[] = [];
    if (undeclared.length) parts.push(`${undeclared.map((s) => `{{${s}}}`).join(', ')} not declared`);
    if (unused.length)
      parts.push(`${unused.map((v) => `"${v}"`).join(', ')} declared but not a slot of the template`);
    if (repeated.length) parts.push(`${[...new Set(repeated)].join(', ')} declared twice`);
    throw errors.badRequest(
      `template variables: ${parts.join('; ')} (its slots: ${slots.join(', ') || 'none'})`,
      {
        slots,
        undeclared,
        unused,
      },
    );
  }
  return { system, user: t.user, variables, params: t.params ?? {} };
}

function toVersion(r: VersionRow): PromptVersion {
  return {
    version: Number(r.version),
    system: r.system_text,
    user: r.user_text,
    variables: json<string[]>(r.variables),
    params: json<ModelParams>(r.params),
    message: r.message,
    createdBy: numOrNull(r.created_by),
    createdAt: instant(r.created_at),
  };
}

/** A label's move, as its audit entry and the label history record it. */
export interface LabelMove {
  label: string;
  from: number | null;
  to: number;
  rollback: boolean;
}

/** An imported prompt's versions and labels (prompts/exchange.ts parses the document). */
export interface PromptImport extends PromptInput {
  versions: (Template & { version: number; message: string | null; createdAt: string })[];
  labels: Record<string, number>;
}

export class PromptStore {
  constructor(
    private readonly db: AccountDb,
    /** The workspace the database holds (its audit entries name it). */
    private readonly workspaceId: number | null,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private stamp(): string {
    return sqlTimestamp(this.now().toISOString())!;
  }

  /** A change and its audit entry, in one transaction. */
  private change<T>(
    action: string,
    by: AuditActor,
    fn: (trx: StoreKysely) => Promise<{ value: T; resource: string; before?: unknown; after?: unknown }>,
  ): Promise<T> {
    return this.db.transaction(async (trx) => {
      const out = await fn(trx);
      await appendAudit(
        trx,
        this.db.dialect,
        {
          action,
          resource: out.resource,
          workspaceId: this.workspaceId,
          ...by,
          before: out.before ?? null,
          after: out.after ?? null,
        },
        this.now(),
      );
      return out.value;
    });
  }

  /** The prompt row, locked for the transaction on MySQL (the one writer serializes DuckDB's). */
  private async locked(trx: StoreKysely, id: number) {
    let q = trx.selectFrom('prompts').selectAll().where('id', '=', id);
    if (this.db.dialect === 'mysql') q = q.forUpdate();
    const row = await q.executeTakeFirst();
    if (!row) throw errors.notFound('prompt', String(id));
    return row;
  }

  async list(userId: number | null): Promise<Prompt[]> {
    const rows = await this.db.kysely.selectFrom('prompts').selectAll().orderBy('name').execute();
    const out: Prompt[] = [];
    for (const r of rows) out.push(await this.view(this.db.kysely, r, userId));
    return out;
  }

  async get(id: number, userId: number | null = null): Promise<Prompt | null> {
    const r = await this.db.kysely.selectFrom('prompts').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? this.view(this.db.kysely, r, userId) : null;
  }

  async byName(name: string, userId: number | null = null): Promise<Prompt | null> {
    const r = await this.db.kysely
      .selectFrom('prompts')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return r ? this.view(this.db.kysely, r, userId) : null;
  }

  private async view(
    k: StoreKysely,
    r: Selectable<StoreTables['prompts']>,
    userId: number | null,
  ): Promise<Prompt> {
    const id = Number(r.id);
    // one query after the other: DuckDB's store runs them on one connection
    const latest = await k
      .selectFrom('prompt_versions')
      .select((e) => e.fn.max('version').as('v'))
      .where('prompt_id', '=', id)
      .executeTakeFirst();
    const labels = await k
      .selectFrom('prompt_labels')
      .select(['label', 'version'])
      .where('prompt_id', '=', id)
      .execute();
    const fav =
      userId === null
        ? undefined
        : await k
            .selectFrom('prompt_favourites')
            .select('user_id')
            .where('prompt_id', '=', id)
            .where('user_id', '=', userId)
            .executeTakeFirst();
    const draft = await k
      .selectFrom('prompt_drafts')
      .select('prompt_id')
      .where('prompt_id', '=', id)
      .executeTakeFirst();
    return {
      id,
      name: r.name,
      description: r.description,
      tags: json<string[]>(r.tags),
      model: r.model,
      params: json<ModelParams>(r.params),
      createdBy: numOrNull(r.created_by),
      createdAt: instant(r.created_at),
      updatedAt: instant(r.updated_at),
      latestVersion: Number(latest?.v ?? 0),
      labels: Object.fromEntries(
        [...labels].sort((a, b) => a.label.localeCompare(b.label)).map((l) => [l.label, Number(l.version)]),
      ),
      favourite: fav !== undefined,
      hasDraft: draft !== undefined,
    };
  }

  /** Creates a prompt, and its version 1 when a template is given. 409 when the name is taken. */
  async create(p: PromptInput, template: TemplateInput | null, by: AuditActor): Promise<Prompt> {
    const checked = template ? checkedTemplate(template) : null;
    const id = await this.change('prompt.create', by, async (trx) => {
      const id = await this.insertPrompt(trx, p, by);
      if (checked) await this.insertVersion(trx, id, 1, checked, 'created', by, this.stamp());
      return {
        value: id,
        resource: `prompt:${id}`,
        after: { name: p.name, ...(checked ? { version: 1, template: checked } : {}) },
      };
    });
    return (await this.get(id, by.actor.userId))!;
  }

  private async insertPrompt(trx: StoreKysely, p: PromptInput, by: AuditActor): Promise<number> {
    const at = this.stamp();
    try {
      await trx
        .insertInto('prompts')
        .values({
          name: p.name,
          description: p.description ?? null,
          tags: JSON.stringify(p.tags ?? []),
          model: p.model ?? null,
          params: JSON.stringify(p.params ?? {}),
          created_by: by.actor.userId,
          created_at: at,
          updated_at: at,
        })
        .execute();
    } catch (err) {
      if (isDuplicate(err)) throw errors.conflict(`a prompt named ${JSON.stringify(p.name)} exists`);
      throw err;
    }
    const row = await trx
      .selectFrom('prompts')
      .select('id')
      .where('name', '=', p.name)
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }

  private async insertVersion(
    trx: StoreKysely,
    promptId: number,
    version: number,
    t: Template,
    message: string | null,
    by: AuditActor,
    at: string,
  ): Promise<void> {
    await trx
      .insertInto('prompt_versions')
      .values({
        prompt_id: promptId,
        version,
        system_text: t.system,
        user_text: t.user,
        variables: JSON.stringify(t.variables),
        params: JSON.stringify(t.params),
        message,
        created_by: by.actor.userId,
        created_at: at,
      })
      .execute();
  }

  /** Changes a prompt's name, description, tags, model or parameters (not its versions). */
  async update(id: number, patch: Partial<PromptInput>, by: AuditActor): Promise<Prompt> {
    await this.change('prompt.update', by, async (trx) => {
      const row = await this.locked(trx, id);
      const set: Partial<Record<'name' | 'description' | 'tags' | 'model' | 'params', string | null>> = {};
      if (patch.name !== undefined) set.name = patch.name;
      if (patch.description !== undefined) set.description = patch.description;
      if (patch.tags !== undefined) set.tags = JSON.stringify(patch.tags);
      if (patch.model !== undefined) set.model = patch.model;
      if (patch.params !== undefined) set.params = JSON.stringify(patch.params);
      try {
        await trx
          .updateTable('prompts')
          .set({ ...set, updated_at: this.stamp() } as never)
          .where('id', '=', id)
          .execute();
      } catch (err) {
        if (isDuplicate(err)) throw errors.conflict(`a prompt named ${JSON.stringify(patch.name)} exists`);
        throw err;
      }
      const before = Object.fromEntries(
        Object.keys(set).map((k) => [k, k === 'tags' || k === 'params' ? json(row[k]) : row[k as 'name']]),
      );
      return { value: undefined, resource: `prompt:${id}`, before, after: patch };
    });
    return (await this.get(id, by.actor.userId))!;
  }

  /** Removes a prompt with its versions, draft, labels and favourites. */
  async delete(id: number, by: AuditActor): Promise<void> {
    await this.change('prompt.delete', by, async (trx) => {
      const row = await this.locked(trx, id);
      const labels = await trx
        .selectFrom('prompt_labels')
        .select(['label', 'version'])
        .where('prompt_id', '=', id)
        .execute();
      const versions = await trx
        .selectFrom('prompt_versions')
        .select((e) => e.fn.countAll().as('n'))
        .where('prompt_id', '=', id)
        .executeTakeFirst();
      for (const t of [
        'prompt_versions',
        'prompt_drafts',
        'prompt_labels',
        'prompt_label_moves',
        'prompt_favourites',
      ] as const)
        await trx.deleteFrom(t).where('prompt_id', '=', id).execute();
      await trx.deleteFrom('prompts').where('id', '=', id).execute();
      return {
        value: undefined,
        resource: `prompt:${id}`,
        before: {
          name: row.name,
          versions: Number(versions?.n ?? 0),
          labels: Object.fromEntries(labels.map((l) => [l.label, Number(l.version)])),
        },
      };
    });
  }

  async versions(id: number): Promise<PromptVersion[]> {
    const rows = await this.db.kysely
      .selectFrom('prompt_versions')
      .selectAll()
      .where('prompt_id', '=', id)
      .orderBy('version')
      .execute();
    return rows.map(toVersion);
  }

  async version(id: number, version: number): Promise<PromptVersion | null> {
    const r = await this.db.kysely
      .selectFrom('prompt_versions')
      .selectAll()
      .where('prompt_id', '=', id)
      .where('version', '=', version)
      .executeTakeFirst();
    return r ? toVersion(r) : null;
  }

  async draft(id: number): Promise<PromptDraft | null> {
    const r = await this.db.kysely
      .selectFrom('prompt_drafts')
      .selectAll()
      .where('prompt_id', '=', id)
      .executeTakeFirst();
    if (!r) return null;
    return {
      system: r.system_text,
      user: r.user_text,
      variables: json<string[]>(r.variables),
      params: json<ModelParams>(r.params),
      baseVersion: numOrNull(r.base_version),
      updatedBy: numOrNull(r.updated_by),
      updatedAt: instant(r.updated_at),
    };
  }

  /**
   * Auto-saves the prompt's one draft (replacing the previous one). Its variables may disagree with its
   * slots while it is edited: the check comes when it is saved as a version.
   */
  async saveDraft(
    id: number,
    d: TemplateInput & { baseVersion?: number | null | undefined },
    by: AuditActor,
  ): Promise<PromptDraft> {
    await this.change('prompt.draft', by, async (trx) => {
      await this.locked(trx, id);
      const had = await trx
        .selectFrom('prompt_drafts')
        .select('prompt_id')
        .where('prompt_id', '=', id)
        .executeTakeFirst();
      await trx.deleteFrom('prompt_drafts').where('prompt_id', '=', id).execute();
      const system = d.system ?? null;
      await trx
        .insertInto('prompt_drafts')
        .values({
          prompt_id: id,
          system_text: system,
          user_text: d.user,
          variables: JSON.stringify(
            d.variables ?? templateSlots({ system: system ?? undefined, user: d.user }),
          ),
          params: JSON.stringify(d.params ?? {}),
          base_version: d.baseVersion ?? null,
          updated_by: by.actor.userId,
          updated_at: this.stamp(),
        })
        .execute();
      return {
        value: undefined,
        resource: `prompt:${id}`,
        after: { draft: true, replaced: had !== undefined, base_version: d.baseVersion ?? null },
      };
    });
    return (await this.draft(id))!;
  }

  /**
   * Saves version n+1 from the template given, or from the draft (then removed). 400 when neither is there
   * or the template's variables do not match its slots.
   */
  async saveVersion(
    id: number,
    template: TemplateInput | null,
    message: string | null,
    by: AuditActor,
  ): Promise<PromptVersion> {
    const version = await this.change('prompt.version', by, async (trx) => {
      await this.locked(trx, id);
      let source = template;
      if (!source) {
        const d = await trx
          .selectFrom('prompt_drafts')
          .selectAll()
          .where('prompt_id', '=', id)
          .executeTakeFirst();
        if (!d)
          throw errors.badRequest(
            'no draft to save: send the template (user, and system, variables, params)',
          );
        source = {
          system: d.system_text,
          user: d.user_text,
          variables: json<string[]>(d.variables),
          params: json<ModelParams>(d.params),
        };
      }
      const checked = checkedTemplate(source);
      const top = await trx
        .selectFrom('prompt_versions')
        .select((e) => e.fn.max('version').as('v'))
        .where('prompt_id', '=', id)
        .executeTakeFirst();
      const next = Number(top?.v ?? 0) + 1;
      await this.insertVersion(trx, id, next, checked, message, by, this.stamp());
      if (!template) await trx.deleteFrom('prompt_drafts').where('prompt_id', '=', id).execute();
      await trx.updateTable('prompts').set({ updated_at: this.stamp() }).where('id', '=', id).execute();
      return {
        value: next,
        resource: `prompt:${id}`,
        after: { version: next, from_draft: !template, message, template: checked },
      };
    });
    return (await this.version(id, version))!;
  }

  /**
   * Points a label at a version (creating the label): the move is recorded (what rollback walks back) and
   * audited with the label's version before and after. 404 for a version that does not exist.
   */
  async moveLabel(id: number, label: string, version: number, by: AuditActor): Promise<LabelMove> {
    return this.change('prompt.label_move', by, async (trx) => {
      await this.locked(trx, id);
      const move = await this.move(trx, id, label, version, false, by);
      return {
        value: move,
        resource: `prompt:${id}`,
        before: { label, version: move.from },
        after: { label, version: move.to },
      };
    });
  }

  private async move(
    trx: StoreKysely,
    id: number,
    label: string,
    version: number,
    rollback: boolean,
    by: AuditActor,
  ): Promise<LabelMove> {
    const exists = await trx
      .selectFrom('prompt_versions')
      .select('version')
      .where('prompt_id', '=', id)
      .where('version', '=', version)
      .executeTakeFirst();
    if (!exists) throw errors.notFound('prompt version', String(version));
    const current = await trx
      .selectFrom('prompt_labels')
      .select('version')
      .where('prompt_id', '=', id)
      .where('label', '=', label)
      .executeTakeFirst();
    const from = current ? Number(current.version) : null;
    const at = this.stamp();
    await trx.deleteFrom('prompt_labels').where('prompt_id', '=', id).where('label', '=', label).execute();
    await trx
      .insertInto('prompt_labels')
      .values({ prompt_id: id, label, version, updated_by: by.actor.userId, updated_at: at })
      .execute();
    await trx
      .insertInto('prompt_label_moves')
      .values({
        prompt_id: id,
        label,
        from_version: from,
        to_version: version,
        is_rollback: this.db.dialect === 'mysql' ? Number(rollback) : rollback,
        moved_by: by.actor.userId,
        moved_at: at,
      })
      .execute();
    return { label, from, to: version, rollback };
  }

  /**
   * Moves a label back: to `to` when given, else to the version it pointed at before the move it last
   * received that no rollback has undone yet (so rolling back twice goes two moves back). 409 when the
   * label has no earlier version.
   */
  async rollback(id: number, label: string, to: number | undefined, by: AuditActor): Promise<LabelMove> {
    return this.change('prompt.label_move', by, async (trx) => {
      await this.locked(trx, id);
      const moves = await trx
        .selectFrom('prompt_label_moves')
        .select(['from_version', 'is_rollback'])
        .where('prompt_id', '=', id)
        .where('label', '=', label)
        .orderBy('id', 'desc')
        .execute();
      if (moves.length === 0) throw errors.notFound('label', label);
      let target = to ?? null;
      if (target === null) {
        let undone = 0;
        for (const m of moves) {
          if (m.is_rollback) undone++;
          else if (undone > 0) undone--;
          else {
            target = numOrNull(m.from_version);
            break;
          }
        }
        if (target === null)
          throw errors.conflict(`label ${label} has no earlier version to roll back to`, { label });
      }
      const move = await this.move(trx, id, label, target, true, by);
      return {
        value: move,
        resource: `prompt:${id}`,
        before: { label, version: move.from },
        after: { label, version: move.to, rollback: true },
      };
    });
  }

  /** Marks or unmarks a prompt as the user's favourite. */
  async setFavourite(id: number, userId: number, on: boolean, by: AuditActor): Promise<boolean> {
    return this.change('prompt.favourite', by, async (trx) => {
      await this.locked(trx, id);
      await trx
        .deleteFrom('prompt_favourites')
        .where('prompt_id', '=', id)
        .where('user_id', '=', userId)
        .execute();
      if (on) await trx.insertInto('prompt_favourites').values({ prompt_id: id, user_id: userId }).execute();
      return { value: on, resource: `prompt:${id}`, after: { favourite: on, user_id: userId } };
    });
  }

  /** Creates a prompt with the versions (their numbers and dates kept) and labels of an export. */
  async import(doc: PromptImport, by: AuditActor): Promise<Prompt> {
    const versions = doc.versions.map((v) => ({ ...v, ...checkedTemplate(v) }));
    const id = await this.change('prompt.import', by, async (trx) => {
      const id = await this.insertPrompt(trx, doc, by);
      for (const v of versions)
        await this.insertVersion(trx, id, v.version, v, v.message, by, sqlTimestamp(v.createdAt)!);
      for (const [label, version] of Object.entries(doc.labels).sort(([a], [b]) => a.localeCompare(b)))
        await this.move(trx, id, label, version, false, by);
      return {
        value: id,
        resource: `prompt:${id}`,
        after: { name: doc.name, versions: versions.length, labels: doc.labels },
      };
    });
    return (await this.get(id, by.actor.userId))!;
  }
}
