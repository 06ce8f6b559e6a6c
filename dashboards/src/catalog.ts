/** What the views ask about benchmarks, kept for the page's life: the list (with models and fields), metadata. */
import type { BenchmarkListResponse, MetadataResponse } from '../../api/routes/benchmarks.ts';
import { getJson, seg } from './api.ts';

export type Benchmark = BenchmarkListResponse['benchmarks'][number];

export function benchmarks(): Promise<BenchmarkListResponse> {
  return getJson<BenchmarkListResponse>('benchmarks', {}, { cache: true });
}

/** One benchmark of the list, or null when there is none of that name. */
export async function benchmark(slug: string): Promise<Benchmark | null> {
  return (await benchmarks()).benchmarks.find((b) => b.benchmark === slug) ?? null;
}

export function metadata(slug: string): Promise<MetadataResponse> {
  return getJson<MetadataResponse>(`benchmarks/${seg(slug)}/metadata`, {}, { cache: true });
}
