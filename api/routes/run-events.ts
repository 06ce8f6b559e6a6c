/**
 * GET /runs/{id}/events: a run's view as server-sent events, for pages that follow a run without polling.
 * Choices made here:
 * - the first event is the view at once, then one each time the progress changes, at most every
 *   `minIntervalMs` (a run of fast items changes hundreds of times a second; a page needs a few frames);
 * - `event: end` carries the run's stored view once it stopped (or at once when it is not running here),
 *   then the stream ends, so a client knows to stop instead of reconnecting;
 * - a comment line every `heartbeatMs` keeps proxies from closing an idle stream while items are slow.
 */
import { PassThrough } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { RunView } from '../../ingest/runner/run-view.ts';

export interface EventTiming {
  minIntervalMs: number;
  heartbeatMs: number;
}

export const EVENT_TIMING: EventTiming = { minIntervalMs: 250, heartbeatMs: 15_000 };

/** What the stream follows: the run's view now, a way to hear of changes, and when it stops. */
export interface Followed {
  view: () => Promise<RunView>;
  /** null when no runner of this server runs it: the stream sends `end` at once */
  live: { subscribe: (onChange: () => void) => () => void; done: Promise<unknown> } | null;
}

const frame = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

export function sendRunEvents(reply: FastifyReply, run: Followed, timing: EventTiming = EVENT_TIMING) {
  const out = new PassThrough();
  let last = 0;
  let lastJson = '';
  let pending: NodeJS.Timeout | null = null;
  let closed = false;
  let unsubscribe = () => {};

  const close = () => {
    if (closed) return;
    closed = true;
    if (pending) clearTimeout(pending);
    clearInterval(heartbeat);
    unsubscribe();
    out.end();
  };
  const push = async () => {
    pending = null;
    const v = await run.view();
    const json = JSON.stringify(v);
    if (closed || json === lastJson) return;
    lastJson = json;
    last = Date.now();
    out.write(frame('progress', v));
  };
  const changed = () => {
    if (closed || pending) return;
    pending = setTimeout(
      () => void push().catch(close),
      Math.max(0, last + timing.minIntervalMs - Date.now()),
    );
  };
  const end = async () => {
    if (closed) return;
    const v = await run.view();
    if (!closed) out.write(frame('end', v));
    close();
  };

  const heartbeat = setInterval(() => {
    if (!closed) out.write(': heartbeat\n\n');
  }, timing.heartbeatMs);
  // the client went away: stop listening (the run goes on)
  reply.raw.on('close', close);

  if (run.live) {
    unsubscribe = run.live.subscribe(changed);
    void push()
      .then(() => run.live!.done)
      .then(end, end)
      .catch(close);
  } else void end().catch(close);

  return reply
    .header('content-type', 'text/event-stream; charset=utf-8')
    .header('cache-control', 'no-cache, no-transform')
    .header('x-accel-buffering', 'no')
    .send(out);
}
