import { createHash } from 'node:crypto';
import type { Db } from '../../store/db.ts';

/**
 * Per-run count and an order-independent checksum (sum of per-row hashes mod 2^52) of every
 * result's key and analytics values, read the same way from either engine.
 */
export async function runChecksums(db: Db): Promise<Record<string, { n: number; sum: number }>> {
  const rows = await db.all<Record<string, unknown>>(
    'SELECT run_id, item_id, sample, outcome, correct, score, answer, latency_ms, tokens_in, tokens_out, cost_usd FROM results',
  );
  const out: Record<string, { n: number; sum: number }> = {};
  for (const r of rows) {
    const key = String(r.run_id);
    const text = [
      r.item_id,
      r.sample,
      r.outcome,
      r.correct === null ? 'null' : Number(r.correct),
      r.score,
      r.answer,
      r.latency_ms,
      r.tokens_in,
      r.tokens_out,
      r.cost_usd,
    ]
      .map((v) => (v === null || v === undefined ? 'null' : String(Number.isNaN(Number(v)) ? v : Number(v))))
      .join('|');
    const h = Number.parseInt(createHash('sha1').update(text).digest('hex').slice(0, 12), 16);
    const e = out[key] ?? { n: 0, sum: 0 };
    e.n++;
    e.sum = (e.sum + h) % 2 ** 52;
    out[key] = e;
  }
  return out;
}
