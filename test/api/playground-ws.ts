/** A WebSocket client of /ws/playground for the tests: every event with the instant it arrived. */
import WebSocket from 'ws';
import type { ServerEvent } from '../../api/playground/protocol.ts';

export interface Received {
  event: ServerEvent;
  at: number;
  raw: string;
}

export interface PlaygroundSocket {
  ws: WebSocket;
  received: Received[];
  send(message: unknown): void;
  /** Resolves with the first event (from `from` on) that matches, or rejects after `timeoutMs`. */
  waitFor(pred: (e: ServerEvent) => boolean, from?: number, timeoutMs?: number): Promise<Received>;
  /** The events of one run: from index `from` to its `end`. */
  untilEnd(from?: number, timeoutMs?: number): Promise<ServerEvent[]>;
  close(): Promise<void>;
}

/** Opens the socket; rejects with the HTTP status when the upgrade is refused. */
export function openPlayground(url: string, headers: Record<string, string>): Promise<PlaygroundSocket> {
  const ws = new WebSocket(url, { headers });
  const received: Received[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    const raw = data.toString();
    received.push({ event: JSON.parse(raw) as ServerEvent, at: performance.now(), raw });
    for (const w of waiters) w();
  });
  const sock: PlaygroundSocket = {
    ws,
    received,
    send: (m) => ws.send(typeof m === 'string' ? m : JSON.stringify(m)),
    waitFor(pred, from = 0, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = received.slice(from).find((r) => pred(r.event));
          if (!found) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `no such event within ${timeoutMs} ms; got ${JSON.stringify(received.slice(from).map((r) => r.event))}`,
            ),
          );
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
    async untilEnd(from = 0, timeoutMs = 10_000) {
      const end = await sock.waitFor((e) => e.type === 'end', from, timeoutMs);
      return received.slice(from, received.indexOf(end) + 1).map((r) => r.event);
    },
    close: () =>
      new Promise((resolve) => {
        if (ws.readyState === ws.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.close();
      }),
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(sock));
    // with a listener, ws leaves the refused request to us: note its status, then let the connection go
    ws.once('unexpected-response', (req, res) => {
      req.destroy();
      reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode }));
    });
    ws.once('error', reject);
  });
}
