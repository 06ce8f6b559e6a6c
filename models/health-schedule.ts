/**
 * The health schedule (#22): every MODEL_HEALTH_INTERVAL_S (default 300; 0: never), each active model of
 * each workspace is checked (models/health.ts) and the check recorded in its history, in that workspace's
 * own database. With Redis configured, the replicas share one lock per interval (`SET NX PX`, left to
 * expire), so one replica checks while the others skip that round. A model or workspace that fails is
 * recorded or logged and does not stop the others.
 */
import type { Redis } from 'ioredis';
import type { AccountStore } from '../accounts/types.ts';
import type { Provider } from '../ingest/providers/types.ts';
import { checkModel } from './health.ts';
import { type RegistryContext, registryOf } from './registry.ts';
import type { CallableModel, HealthCheck } from './types.ts';

/** What the schedule needs of the workspaces (api/tenancy.ts's Workspaces). */
export interface WorkspaceContexts {
  root: RegistryContext;
  context(ws: { id: number; slug: string }): Promise<RegistryContext>;
}

export interface HealthScheduleDeps {
  /** The workspaces to go through; null (no account store): the root context's `default` only. */
  accounts: Pick<AccountStore, 'listWorkspaces'> | null;
  workspaces: WorkspaceContexts;
  everyMs: number;
  providerOf: (c: CallableModel) => Promise<Provider>;
  /** Shared by the replicas; null or absent: this process checks every round. */
  redis?: Pick<Redis, 'set'> | null | undefined;
  /** Namespaces the lock (QUEUE_PREFIX). */
  prefix?: string | undefined;
  /** Models checked at once (default 4). */
  parallel?: number | undefined;
  timeoutMs?: number | undefined;
  log: (message: string) => void;
}

export interface HealthSchedule {
  /** One round now; the number of models checked (0 when another replica holds this round's lock). */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

export function startModelHealth(deps: HealthScheduleDeps): HealthSchedule {
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;
  const lockKey = `${deps.prefix ?? 'evalhouse'}:model-health:lock`;
  const owner = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;

  /** This replica's turn? The lock lives a little less than an interval, so the next round can take it. */
  const myTurn = async () => {
    if (!deps.redis || deps.everyMs <= 0) return true;
    const ttl = Math.max(1000, Math.floor(deps.everyMs * 0.9));
    try {
      return (await deps.redis.set(lockKey, owner, 'PX', ttl, 'NX')) === 'OK';
    } catch (err) {
      deps.log(`model health: Redis lock unavailable (${(err as Error).message}); checking anyway`);
      return true;
    }
  };

  const checkWorkspace = async (ctx: RegistryContext, wsId: number | null, slug: string) => {
    const registry = registryOf(ctx, wsId);
    const models = await registry.list({ activeOnly: true });
    let next = 0;
    let checked = 0;
    const worker = async () => {
      while (!stopped && next < models.length) {
        const m = models[next++]!;
        let check: HealthCheck;
        try {
          const c = await registry.callable(m.id);
          if (!c) continue; // deactivated meanwhile
          check = await checkModel(c, { providerOf: deps.providerOf, timeoutMs: deps.timeoutMs });
        } catch (err) {
          // callable's refusals (a base URL now refused, a key that no longer decrypts) are the model's health
          check = {
            at: new Date().toISOString(),
            status: 'error',
            latency_ms: null,
            error: (err as Error).message,
            limits: null,
          };
        }
        try {
          await registry.recordHealth(m.id, check);
          checked++;
        } catch (err) {
          deps.log(`model health: could not record ${slug}/${m.name}: ${(err as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, deps.parallel ?? 4) }, worker));
    return checked;
  };

  const runOnce = async () => {
    if (!(await myTurn())) return 0;
    const list = deps.accounts ? await deps.accounts.listWorkspaces() : null;
    if (!list) return checkWorkspace(deps.workspaces.root, null, 'default');
    let n = 0;
    for (const ws of list) {
      if (stopped) break;
      try {
        n += await checkWorkspace(await deps.workspaces.context(ws), ws.id, ws.slug);
      } catch (err) {
        deps.log(`model health of workspace ${ws.slug} failed: ${(err as Error).message}`);
      }
    }
    return n;
  };
  const tick = () => {
    running = runOnce()
      .catch((err: unknown) => deps.log(`model health failed: ${(err as Error).message}`))
      .finally(() => {
        running = null;
        if (!stopped) schedule();
      });
  };
  const schedule = () => {
    timer = setTimeout(tick, deps.everyMs);
    timer.unref();
  };
  if (deps.everyMs > 0) schedule();
  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
