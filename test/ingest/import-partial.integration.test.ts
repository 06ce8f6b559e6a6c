import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { importFile } from '../../ingest/import-file.ts';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.ts';
import { tmpDir } from '../helpers/tmp.ts';

const tmp = tmpDir();
afterAll(() => tmp.cleanup());

describe('a file that cannot be read to its end', () => {
  it('is refused whole, also with skipInvalid: the records before the break are not committed as the file', async () => {
    const gz = gzipSync(
      Array.from({ length: 5000 }, (_, i) => JSON.stringify({ benchmark: 'b', model: 'm', item_id: i })).join(
        '\n',
      ),
    );
    const file = `${tmp.dir}/cut.jsonl.gz`;
    writeFileSync(file, gz.subarray(0, Math.floor(gz.length / 2)));
    const store = await DuckDbStore.open(`${tmp.dir}/p.duckdb`);
    try {
      await expect(importFile(store, file, { skipInvalid: true })).rejects.toMatchObject({
        code: 'CORRUPT_FILE',
        details: { file: 'cut.jsonl.gz' },
      });
      const [row] = await store.db.all<{ n: number }>('SELECT count(*) AS n FROM results');
      expect(Number(row?.n)).toBe(0);
    } finally {
      await store.close();
    }
  });
});
