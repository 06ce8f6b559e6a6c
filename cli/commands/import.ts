import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { formatErrors, type ImportSummary, importFile } from '../../ingest/import-file.ts';
import { IMPORT_FORMATS } from '../../ingest/importers/detect.ts';
import type { ImportFormat } from '../../ingest/importers/types.ts';
import { openRecordStore } from '../../store/open.ts';
import { type Command, UsageError } from '../command.ts';
import { parseCommandArgs } from '../main.ts';
import { progressPrinter } from '../progress.ts';
import { runningServer } from '../remote.ts';

const usage = `usage: evalhouse import FILE... [--format ${IMPORT_FORMATS.join('|')}] [--skip-invalid]
                        [--benchmark NAME] [--model NAME] [--run LABEL] [--json]

Imports evaluation results: the canonical JSONL/CSV format (see README), lm-evaluation-harness
samples_*.jsonl, Inspect AI logs (.json/.eval) or promptfoo results JSON. The format is detected
unless --format is given. A file with an invalid record writes nothing (each problem is listed
with file, line and field) unless --skip-invalid. Importing a file again changes nothing.`;

export const command: Command = {
  name: 'import',
  summary: 'import result files (canonical JSONL/CSV, lm-eval, Inspect, promptfoo)',
  usage,
  async run(argv, config) {
    const { values, positionals } = parseCommandArgs(argv, {
      format: { type: 'string' },
      'skip-invalid': { type: 'boolean' },
      benchmark: { type: 'string' },
      model: { type: 'string' },
      run: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (positionals.length === 0) throw new UsageError('name at least one file');
    if (values.format && !IMPORT_FORMATS.includes(values.format as ImportFormat)) {
      throw new UsageError(`unknown --format ${values.format}; formats: ${IMPORT_FORMATS.join(', ')}`);
    }
    for (const f of positionals) {
      try {
        if (!statSync(f).isFile()) throw new Error();
      } catch {
        throw new UsageError(`no such file: ${f}`);
      }
    }
    const opts = {
      format: values.format as ImportFormat | undefined,
      skipInvalid: values['skip-invalid'],
      benchmark: values.benchmark,
      model: values.model,
      run: values.run,
    };
    const server = await runningServer(config);
    const summaries: ImportSummary[] = [];
    if (server) {
      console.error(`a server holds ${config.duckdbPath}: importing through ${server}/imports`);
      for (const f of positionals) summaries.push(await importRemote(server, f, opts));
    } else {
      const store = await openRecordStore(config);
      try {
        for (const f of positionals) {
          const progress = progressPrinter(basename(f));
          summaries.push(
            await importFile(store, f, {
              ...opts,
              maxErrors: config.importMaxErrors,
              keepBytes: config.importKeepBytes,
              onProgress: (d, t) => progress.update(d, t),
            }),
          );
          progress.done();
        }
      } finally {
        await store.close();
      }
    }
    let failed = false;
    for (const s of summaries) {
      if (values.json) continue;
      if (!s.committed) {
        failed = true;
        console.error(`${s.file}: ${s.errorCount} invalid record(s); nothing imported from this file:`);
        for (const l of formatErrors(s)) console.error(`  ${l}`);
        continue;
      }
      if (s.skipped > 0) {
        console.error(`${s.file}: skipped ${s.skipped} invalid record(s):`);
        for (const l of formatErrors(s)) console.error(`  ${l}`);
      }
      console.log(
        `${s.file} (${s.format}): ${s.rows} rows (${s.inserted} new, ${s.duplicates} already stored), ${s.runs} run(s), ${s.benchmarks} benchmark(s), ${s.models} model(s), ${s.skipped} skipped, ${(s.elapsedMs / 1000).toFixed(2)} s`,
      );
    }
    if (values.json) {
      console.log(JSON.stringify(summaries, null, 2));
      failed = summaries.some((s) => !s.committed);
    }
    return failed ? 1 : 0;
  },
};

async function importRemote(
  server: string,
  file: string,
  opts: {
    format?: string | undefined;
    skipInvalid?: boolean | undefined;
    benchmark?: string | undefined;
    model?: string | undefined;
    run?: string | undefined;
  },
): Promise<ImportSummary> {
  const q = new URLSearchParams({ filename: basename(file) });
  for (const [k, v] of Object.entries(opts))
    if (v !== undefined && v !== false) q.set(k === 'skipInvalid' ? 'skip_invalid' : k, String(v));
  const res = await fetch(`${server}/imports?${q}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: createReadStream(file) as never,
    duplex: 'half',
  } as RequestInit);
  const body = (await res.json()) as ImportSummary & { message?: string; details?: ImportSummary };
  if (res.status === 400 && body.details) return { ...body.details, file };
  if (!res.ok) throw new Error(`server answered ${res.status}: ${body.message ?? JSON.stringify(body)}`);
  return { ...body, file };
}
