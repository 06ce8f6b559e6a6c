/**
 * A child process for kill tests: imports one file into the configured store (DUCKDB_PATH, or MYSQL_URL)
 * in small batches and prints `written N/M` after each, so the parent can kill it mid-write.
 */
import { loadConfig } from '../../core/config.ts';
import { importFile } from '../../ingest/import-file.ts';
import { openRecordStore } from '../../store/open.ts';

const file = process.argv[2]!;
const batchSize = Number(process.argv[3] ?? 10_000);
const config = loadConfig();
const store = await openRecordStore(config);
const s = await importFile(store, file, {
  batchSize,
  bulk: config.imports.bulk,
  onProgress: (done, total) => console.log(`written ${done}/${total}`),
});
console.log(`done ${s.inserted}`);
await store.close();
