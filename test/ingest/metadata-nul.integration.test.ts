import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { importFile } from '../../ingest/import-file.ts';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.ts';
import { tmpDir } from '../helpers/tmp.ts';

const tmp = tmpDir();
afterAll(() => tmp.cleanup());

// A metadata value holding U+0000 imported, and then every /analysis grouping by that field was a 500
// (DuckDB: "unterminated quoted string" from the field's ENUM), in both modes: the gate refuses it.
describe('a metadata value with a NUL character', () => {
  it('is that record error at the import gate; nothing is written', async () => {
    const file = `${tmp.dir}/nul.jsonl`;
    writeFileSync(
      file,
      [
        { benchmark: 'b', model: 'm', item_id: '1', correct: true, metadata: { g: 'fine' } },
        { benchmark: 'b', model: 'm', item_id: '2', correct: true, metadata: { g: 'a\u0000b' } },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const store = await DuckDbStore.open(`${tmp.dir}/n.duckdb`);
    try {
      const summary = await importFile(store, file);
      expect(summary.committed).toBe(false);
      expect(summary.errors).toMatchObject([{ line: 2, field: 'metadata.g' }]);
      const [row] = await store.db.all<{ n: number }>('SELECT count(*) AS n FROM results');
      expect(Number(row?.n)).toBe(0);
    } finally {
      await store.close();
    }
  });
});
