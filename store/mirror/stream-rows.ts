import type { Connection as CallbackConnection } from 'mysql2';

/**
 * Streams a SELECT's rows through the binary protocol into `sink`, synchronously as they arrive (no
 * buffering beyond the socket's). Resolves with the number of rows. Statements with a varying number of
 * placeholders are closed after use (`unprepare`), so the server's prepared statements do not pile up.
 */
export function streamRows(
  conn: CallbackConnection,
  sql: string,
  values: readonly unknown[],
  sink: (row: unknown[]) => void,
  options: { unprepare?: boolean } = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    let n = 0;
    let failed: unknown = null;
    let settled = false;
    const settle = (err: unknown) => {
      if (settled) return;
      settled = true;
      if (options.unprepare) conn.unprepare(sql);
      if (err) reject(err);
      else resolve(n);
    };
    conn
      .execute({ sql, values: values as unknown[], rowsAsArray: true })
      .on('result', (row) => {
        if (failed) return;
        try {
          sink(row as unknown as unknown[]);
          n++;
        } catch (err) {
          failed = err; // the rest of the result set is read and dropped, then the promise rejects
        }
      })
      .on('error', (err) => settle(err))
      .on('end', () => settle(failed));
  });
}
