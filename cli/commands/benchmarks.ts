import type { Config } from '../../core/config.ts';
import {
  type BenchmarkListing,
  listBenchmarks,
  loadBenchmark,
  promptVersion,
  renderPrompt,
  resolveBenchmarkDir,
  validateBenchmark,
} from '../../ingest/benchmarks/load.ts';
import { type BenchmarkDef, BenchmarkError, formatProblem } from '../../ingest/benchmarks/types.ts';
import { type Command, parseCommandArgs, UsageError } from '../command.ts';

const usage = `usage:
  evalhouse benchmarks list [--json] [--root <dir>]
  evalhouse benchmarks show <slug|path> [--json] [--root <dir>]
  evalhouse benchmarks validate <slug|path> [--root <dir>]

A slug names a folder under --root (default: the project's benchmarks/); a path is a benchmark folder.`;

const options = { json: { type: 'boolean' }, root: { type: 'string' } } as const;

export const command: Command = {
  name: 'benchmarks',
  summary: 'list, show and validate benchmark definitions',
  usage,
  async run(argv: string[], _config: Config): Promise<number> {
    const [sub, ...rest] = argv;
    const { values, positionals } = parseCommandArgs(rest, options);
    const root = values.root;
    switch (sub) {
      case 'list':
        if (positionals.length > 0) throw new UsageError('list takes no arguments');
        return list(await listBenchmarks(...(root ? [root] : [])), values.json === true);
      case 'show':
        return show(one(positionals), root, values.json === true);
      case 'validate':
        return validate(one(positionals), root);
      default:
        throw new UsageError(sub ? `unknown subcommand "${sub}"` : 'missing subcommand');
    }
  },
};

function one(positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError('expected one benchmark slug or path');
  return positionals[0]!;
}

function list(all: BenchmarkListing[], json: boolean): number {
  if (json) {
    const rows = all.map((b) =>
      b.def
        ? { slug: b.slug, items: b.def.items.length, task: b.def.task, metadata: b.def.metadata }
        : { slug: b.slug, items: null, task: null, metadata: [], problems: b.problems.length },
    );
    console.log(JSON.stringify(rows, null, 2));
    return 0;
  }
  if (all.length === 0) console.log('no benchmarks');
  for (const b of all) {
    if (!b.def) {
      console.log(
        `${b.slug.padEnd(14)} INVALID (${b.problems.length} problems; run \`evalhouse benchmarks validate ${b.dir}\`)`,
      );
      continue;
    }
    const fields = b.def.metadata.map((f) => f.name).join(', ');
    console.log(
      `${b.slug.padEnd(14)} ${String(b.def.items.length).padStart(6)} items  ${b.def.task.padEnd(16)} ${b.def.scorer.type.padEnd(16)} ${fields}`,
    );
  }
  return 0;
}

/** Distinct values per metadata field, most frequent first. */
function fieldValues(
  def: BenchmarkDef,
): { name: string; type: string; label: string; distinct: number; top: [string, number][] }[] {
  return def.metadata.map((f) => {
    const counts = new Map<string, number>();
    for (const it of def.items) {
      const v = it.metadata[f.name];
      const key = v === null || v === undefined ? '(null)' : String(v);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const top = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0], 'en', { numeric: true }));
    return { ...f, distinct: counts.size, top: top.slice(0, 10) };
  });
}

async function show(target: string, root: string | undefined, json: boolean): Promise<number> {
  let def: BenchmarkDef;
  try {
    def = await loadBenchmark(target, ...(root ? [root] : []));
  } catch (err) {
    if (err instanceof BenchmarkError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  }
  const examples = def.items
    .slice(0, 3)
    .map((it) => ({ id: it.id, reference: it.reference, prompt: renderPrompt(def, it) }));
  const fields = fieldValues(def);
  if (json) {
    const { items, ...rest } = def;
    console.log(
      JSON.stringify(
        { ...rest, items: items.length, promptVersion: promptVersion(def), fields, examples },
        null,
        2,
      ),
    );
    return 0;
  }
  console.log(
    `${def.slug} v${def.version} (${def.task}), ${def.items.length} items, prompt version ${promptVersion(def)}`,
  );
  console.log(def.description);
  console.log(`source:  ${def.attribution.source}`);
  console.log(`license: ${def.attribution.license}`);
  console.log(`scorer:  ${JSON.stringify(def.scorer)}`);
  if (def.cluster) console.log(`cluster: ${def.cluster}`);
  console.log(`folder:  ${def.dir}`);
  console.log('\nmetadata fields:');
  for (const f of fields) {
    const sample = f.top.map(([v, n]) => `${v} (${n})`).join(', ');
    console.log(
      `  ${f.name} [${f.type}] "${f.label}": ${f.distinct} distinct; ${sample}${f.distinct > f.top.length ? ', …' : ''}`,
    );
  }
  for (const ex of examples) {
    console.log(`\n--- example ${ex.id} (reference: ${ex.reference}) ---`);
    if (ex.prompt.system !== undefined) console.log(`[system]\n${ex.prompt.system}\n[user]`);
    console.log(ex.prompt.user);
  }
  return 0;
}

async function validate(target: string, root: string | undefined): Promise<number> {
  const dir = resolveBenchmarkDir(target, ...(root ? [root] : []));
  const { def, problems } = await validateBenchmark(dir);
  if (problems.length === 0 && def) {
    console.log(
      `${def.slug}: valid (${def.items.length} items, ${def.metadata.length} metadata fields, scorer ${def.scorer.type})`,
    );
    return 0;
  }
  console.error(`${dir}: ${problems.length} problem${problems.length === 1 ? '' : 's'}`);
  for (const p of problems) console.error(`  ${formatProblem(p)}`);
  return 1;
}
