// Imports the bundled demo data (demo/*.jsonl.gz) into demo/.store/demo.duckdb, which a first start copies
// (api/demo-store.ts). Run by `npm ci` (prepare) and before `npm start`; when the file is fresh it only checks
// (a hash of its inputs, no DuckDB loaded). A failure only means that a first start imports the files itself:
// it is reported, not fatal (e.g. the Dockerfile's `npm ci` runs before the sources are copied).
try {
  const { DEMO_STORE, demoStoreFresh, demoStoreKey, installDemoStore } = await import('../api/demo-store.ts');
  const key = demoStoreKey();
  if (!demoStoreFresh(key)) {
    const { mkdirSync, rmSync } = await import('node:fs');
    const { dirname } = await import('node:path');
    const { DuckDbStore } = await import('../store/duckdb/duckdb-store.ts');
    const { loadDemoData } = await import('../api/demo.ts');
    mkdirSync(dirname(DEMO_STORE), { recursive: true });
    const tmp = `${DEMO_STORE}.tmp-${process.pid}`;
    for (const f of [tmp, `${tmp}.wal`]) rmSync(f, { force: true });
    const store = await DuckDbStore.open(tmp);
    try {
      const rows = await loadDemoData(store, (m) => console.log(m));
      await store.db.run('CHECKPOINT');
      console.log(`demo store: ${rows} results, copied on a first start`);
    } finally {
      await store.close();
    }
    installDemoStore(tmp, key);
  }
} catch (err) {
  console.error(
    `demo store: not built (${(err as Error).message.split('\n')[0]}); a first start imports the demo files itself`,
  );
}
