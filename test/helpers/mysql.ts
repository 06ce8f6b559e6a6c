import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';

/** Server URL tests use; CI provides MariaDB on 127.0.0.1:3306 (root, no password). */
export const TEST_MYSQL_SERVER = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';

/** Creates a fresh database for one test file and returns its URL and a drop function. */
export async function createTestDatabase(
  prefix = 't',
): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `evalhouse_${prefix}_${randomBytes(4).toString('hex')}`;
  const conn = await mysql.createConnection(TEST_MYSQL_SERVER);
  await conn.query(`CREATE DATABASE \`${name}\``);
  await conn.end();
  return {
    url: `${TEST_MYSQL_SERVER.replace(/\/$/, '')}/${name}`,
    name,
    drop: async () => {
      const c = await mysql.createConnection(TEST_MYSQL_SERVER);
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}
