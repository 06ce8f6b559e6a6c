import { createReadStream, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { AppError } from '../../core/errors.ts';
import { makeScratchDir } from '../../core/scratch.ts';
import { formatErrors, type ImportSummary, importFile } from '../../ingest/import-file.ts';
import { IMPORT_FORMATS } from '../../ingest/importers/detect.ts';
import { parseSamplesName } from '../../ingest/importers/lm-eval.ts';
import { samplesFilesIn, withResultsFiles, writeZip } from '../../ingest/importers/lm-eval-pack.ts';
import type { ImportFormat } from '../../ingest/importers/types.ts';
import { openRecordStore } from '../../store/open.ts';
import { cliDataAudit } from '../accounts.ts';
import { type Command, parseCommandArgs, UsageError } from '../command.ts';
import { ServerRefusedError } from '../errors.ts';
import { progressPrinter } from '../progress.ts';
import { assertDefaultWorkspaceLocally, runningServer, serverHeaders, useRemoteIdentity } from '../remote.ts';

const usage = `usage: evalhouse import FILE|FOLDER... [--format ${IMPORT_FORMATS.join('|')}] [--skip-invalid]
                        [--benchmark NAME] [--model NAME] [--run LABEL] [--json]

Imports evaluation results: the canonical JSONL/CSV format (see README), lm-evaluation-harness
samples_*.jsonl (with the results_*.json beside it) or a whole lm-eval output folder, Inspect AI
logs (.json/.eval) or promptfoo results JSON. The format is detected unless --format is given.
A file with an invalid record writes nothing (each problem is listed with file, line and field)
unless --skip-invalid. Importing a file again changes nothing.
Through a server: --workspace SLUG acts in that workspace (x-evalhouse-workspace), and EVALHOUSE_API_KEY
is sent as Authorization: Bearer. Without a server, only the default workspace.`;

/** What the server receives for an lm-eval zip (api/routes/imports.ts streams these types untouched). */
const ZIP_CONTENT_TYPE = 'application/octet-stream';

/** One thing to import: a file, or an lm-eval output folder (its samples files). */
interface Source {
  path: string;
  samples?: string[];
}

export const command: Command = {
  name: 'import',
  summary: 'import result files (canonical JSONL/CSV, lm-eval, Inspect, promptfoo)',
  usage,
  async run(args, config) {
    const argv = useRemoteIdentity(args, config);
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
    const sources: Source[] = [];
    for (const f of positionals) {
      let isDir: boolean;
      try {
        const st = statSync(f);
        if (!st.isFile() && !st.isDirectory()) throw new Error();
        isDir = st.isDirectory();
      } catch {
        throw new UsageError(`no such file: ${f}`);
      }
      if (!isDir) {
        sources.push({ path: f });
        continue;
      }
      if (values.format && values.format !== 'lm-eval')
        throw new UsageError(`${f} is a folder: only lm-eval output folders can be imported whole`);
      const samples = await samplesFilesIn(f);
      if (samples.length === 0)
        throw new UsageError(
          `${f} is a folder without lm-eval samples_<task>_<timestamp>.jsonl files; name the files to import`,
        );
      sources.push({ path: f, samples });
    }
    const opts = {
      format: values.format as ImportFormat | undefined,
      skipInvalid: values['skip-invalid'],
      benchmark: values.benchmark,
      model: values.model,
      run: values.run,
    };
    const server = await runningServer(config);
    if (!server) assertDefaultWorkspaceLocally();
    const summaries: ImportSummary[] = [];
    let failed = false;
    /** A file the importers refuse whole (corrupt, over a limit) is reported like a rejected file, and the next one is tried. */
    const refused = (file: string, err: unknown) => {
      if (!(err instanceof AppError)) throw err;
      failed = true;
      console.error(`${err.message}; nothing imported from ${file}`);
    };
    if (server) {
      console.error(`a server holds ${config.duckdbPath}: importing through ${server}/imports`);
      for (const src of sources) {
        try {
          summaries.push(await importRemote(server, src, opts));
        } catch (err) {
          if (!(err instanceof ServerRefusedError)) throw err;
          failed = true;
          console.error(`${err.message}; nothing imported from ${src.path}`);
        }
      }
    } else {
      const store = await openRecordStore(config);
      try {
        const audit = await cliDataAudit(store, config);
        for (const src of sources) {
          const files = src.samples ?? [src.path];
          for (const f of files) {
            const progress = progressPrinter(basename(f));
            try {
              summaries.push(
                await importFile(store, f, {
                  ...opts,
                  format: src.samples ? 'lm-eval' : opts.format,
                  limits: config.imports.limits,
                  maxErrors: config.imports.maxErrors,
                  keepBytes: config.imports.keepBytes,
                  batchBytes: config.imports.batchBytes,
                  bulk: config.imports.bulk,
                  onProgress: (d, t) => progress.update(d, t),
                  // the entry the API writes for an upload, with the import (a refused file writes none)
                  onCommit: audit.hook('import.create', `import:${basename(f)}`, (c) => ({
                    after: { file: basename(f), ...c },
                  })),
                }),
              );
            } catch (err) {
              refused(f, err);
            } finally {
              progress.done();
            }
          }
        }
      } finally {
        await store.close();
      }
    }
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
      failed ||= summaries.some((s) => !s.committed);
    }
    return failed ? 1 : 0;
  },
};

type RemoteOptions = {
  format?: string | undefined;
  skipInvalid?: boolean | undefined;
  benchmark?: string | undefined;
  model?: string | undefined;
  run?: string | undefined;
};

/**
 * Sends one source to the server. An lm-eval folder, or a samples file (which names no model:
 * the results file beside it does), goes as one zip of the samples and results files.
 */
async function importRemote(server: string, src: Source, opts: RemoteOptions): Promise<ImportSummary> {
  const samplesFile =
    (opts.format === undefined || opts.format === 'lm-eval') && parseSamplesName(src.path) !== null;
  if (!src.samples && !samplesFile)
    return upload(server, src.path, basename(src.path), 'application/octet-stream', opts);
  const dir = makeScratchDir('upload');
  try {
    const root = src.samples ? resolve(src.path) : dirname(resolve(src.path));
    const files = await withResultsFiles((src.samples ?? [src.path]).map((f) => resolve(f)));
    const zip = join(dir, `${basename(resolve(src.path)).replace(/[^\w.\-=, ]/g, '_')}.zip`);
    await writeZip(files, root, zip);
    const summary = await upload(server, zip, basename(zip), ZIP_CONTENT_TYPE, {
      ...opts,
      format: 'lm-eval',
    });
    return { ...summary, file: src.path };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function upload(
  server: string,
  file: string,
  filename: string,
  contentType: string,
  opts: RemoteOptions,
): Promise<ImportSummary> {
  const q = new URLSearchParams({ filename });
  for (const [k, v] of Object.entries(opts))
    if (v !== undefined && v !== false) q.set(k === 'skipInvalid' ? 'skip_invalid' : k, String(v));
  const res = await fetch(`${server}/imports?${q}`, {
    method: 'POST',
    headers: serverHeaders({ 'content-type': contentType }),
    body: createReadStream(file) as never,
    duplex: 'half',
  } as RequestInit);
  const body = (await res.json()) as ImportSummary & { message?: string; details?: ImportSummary };
  // a 400 with nothing written carries the import summary; any other refusal says what it was
  if (res.status === 400 && body.details && 'committed' in body.details) return { ...body.details, file };
  if (!res.ok) throw new ServerRefusedError(server, basename(file), res.status, body);
  return { ...body, file };
}
