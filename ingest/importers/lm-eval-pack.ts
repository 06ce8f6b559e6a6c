/**
 * An lm-eval output folder as files to import, and as one zip to send to a server (which
 * receives one file per request, so a samples file would arrive without the results file
 * that names its model). The lm-eval importer reads such a zip back (lm-eval.ts).
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Zip, ZipPassThrough } from 'fflate';
import { isResultsName, isSamplesName, resultsFileFor } from './lm-eval.ts';

/** Samples files under `folder`, at any depth (lm-eval writes one folder per model), sorted. */
export async function samplesFilesIn(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && isSamplesName(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** The files a zip for these samples files needs: each samples file and the results file beside it. */
export async function withResultsFiles(samples: string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const s of samples) {
    out.add(s);
    const r = await resultsFileFor(s);
    if (r) out.add(r);
  }
  // every results file of the folders involved, so a samples file whose timestamp differs still finds its own
  for (const d of new Set(samples.map(dirname)))
    for (const f of await readdir(d)) if (isResultsName(f)) out.add(join(d, f));
  return [...out].sort();
}

/**
 * Writes `files` into a zip at `dest`, named by their path relative to `root` (so folders per
 * model stay apart). Stored, not deflated: it goes to a server nearby, and samples may be .gz already.
 */
export async function writeZip(files: string[], root: string, dest: string): Promise<void> {
  const out = createWriteStream(dest);
  const finished = new Promise<void>((resolve, reject) => {
    out.on('error', reject);
    out.on('finish', resolve);
  });
  let failed: Error | null = null;
  const zip = new Zip((err, chunk, final) => {
    if (err) failed = err;
    else out.write(chunk);
    if (final || err) out.end();
  });
  for (const f of files) {
    const entry = new ZipPassThrough(relative(root, f).split(sep).join('/'));
    zip.add(entry);
    for await (const chunk of createReadStream(f)) {
      entry.push(chunk as Buffer);
      if (out.writableNeedDrain) await once(out, 'drain');
    }
    entry.push(new Uint8Array(0), true);
  }
  zip.end();
  await finished;
  if (failed) throw failed;
}
