import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { openContext } from '../../api/context.ts';
import { EXPORT_FORMATS, EXPORT_KINDS } from '../../api/exports/document.ts';
import { ExportRequest, runExport } from '../../api/exports/service.ts';
import { type Command, parseCommandArgs, UsageError } from '../command.ts';
import { ServerRefusedError } from '../errors.ts';
import {
  assertDefaultWorkspaceLocally,
  runningServer,
  serverHeaders,
  serverHoldingFile,
  useRemoteIdentity,
} from '../remote.ts';

const usage = `usage: evalhouse export --kind ${EXPORT_KINDS.join('|')} --format ${EXPORT_FORMATS.join('|')}
                        [--query FILE.json | --query '{"benchmark": …}'] [-o FILE] [--bom] [--no-provenance-line]

Writes an analysis (the body POST /analysis takes), a comparison (POST /compare), an item analysis
(GET /benchmarks/{b}/items/analysis, with "benchmark"), the summary or the stored results (benchmark,
models, runs, filters, limit) as a file. Through the running server when there is one (as POST /exports),
else on the store directly. Without -o the file is named for what it holds (benchmark, kind, levels, date),
in the current folder; -o - writes to standard output.
Through a server: --workspace SLUG acts in that workspace (x-evalhouse-workspace), and EVALHOUSE_API_KEY
is sent as Authorization: Bearer. Without a server, only the default workspace.`;

/** The file name a Content-Disposition header gives (its UTF-8 form when present). */
function nameFrom(disposition: string | null): string | null {
  if (!disposition) return null;
  const utf8 = /filename\*=UTF-8''([^;]+)/.exec(disposition);
  if (utf8) return decodeURIComponent(utf8[1]!);
  return /filename="([^"]+)"/.exec(disposition)?.[1] ?? null;
}

export const command: Command = {
  name: 'export',
  summary:
    'write an analysis, comparison, item analysis, summary or results as xlsx, pdf, csv, parquet, arrow or json',
  usage,
  async run(args, config) {
    const argv = useRemoteIdentity(args, config);
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        kind: { type: 'string' },
        format: { type: 'string' },
        query: { type: 'string' },
        output: { type: 'string', short: 'o' },
        bom: { type: 'boolean' },
        'no-provenance-line': { type: 'boolean' },
      },
      false,
    );
    if (positionals.length > 0) throw new UsageError(`unexpected ${positionals.join(' ')}`);
    let query: unknown;
    if (values.query !== undefined) {
      const text = values.query.trimStart().startsWith('{') ? values.query : readQueryFile(values.query);
      try {
        query = JSON.parse(text);
      } catch (err) {
        throw new UsageError(`--query is not JSON: ${(err as Error).message}`);
      }
    }
    const parsed = ExportRequest.safeParse({
      kind: values.kind,
      format: values.format,
      query,
      bom: values.bom ?? false,
      provenance_line: !values['no-provenance-line'],
    });
    if (!parsed.success) {
      throw new UsageError(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; '));
    }
    const req = parsed.data;
    const server = config.mysqlUrl
      ? ((await serverHoldingFile(config.duckdbPath))?.url ?? null)
      : await runningServer(config);
    if (!server) assertDefaultWorkspaceLocally();
    if (server) {
      console.error(`exporting through ${server}/exports`);
      const res = await fetch(`${server}/exports`, {
        method: 'POST',
        headers: serverHeaders({ 'content-type': 'application/json' }),
        body: JSON.stringify(req),
      });
      if (!res.ok || !res.body) {
        const body = (await res.json().catch(() => ({}))) as { error?: string; message?: string };
        throw new ServerRefusedError(server, `the export`, res.status, body);
      }
      const target =
        values.output ?? nameFrom(res.headers.get('content-disposition')) ?? `export.${req.format}`;
      await write(Readable.fromWeb(res.body as never), target);
      return 0;
    }
    const ctx = await openContext(config, { mirrorLoop: false });
    try {
      await ctx.syncMirror();
      const file = await runExport(ctx, req);
      try {
        const target = values.output ?? nameFrom(file.disposition) ?? `export.${req.format}`;
        await write(Buffer.isBuffer(file.body) ? Readable.from([file.body]) : file.body, target);
      } finally {
        await file.release();
      }
    } finally {
      await ctx.close();
    }
    return 0;
  },
};

function readQueryFile(path: string): string {
  if (!existsSync(path))
    throw new UsageError(`--query: no such file: ${path} (give a JSON file or a JSON object)`);
  return readFileSync(path, 'utf8');
}

async function write(body: Readable, target: string): Promise<void> {
  if (target === '-') {
    await pipeline(body, process.stdout);
    return;
  }
  await pipeline(body, createWriteStream(target));
  console.error(`wrote ${target}`);
}
