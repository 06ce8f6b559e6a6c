import { DuckDbStore, duckDbResources } from '../../store/duckdb/duckdb-store.ts';
import { Mirror } from '../../store/mirror/mirror.ts';
import { MysqlStore } from '../../store/mysql/mysql-store.ts';
import { type Command, parseCommandArgs, UsageError } from '../command.ts';
import { CliError } from '../errors.ts';
import { progressPrinter } from '../progress.ts';
import { serverHoldingFile } from '../remote.ts';

export const command: Command = {
  name: 'mirror',
  summary: 'copy new MySQL results into the DuckDB mirror once',
  usage:
    'usage: evalhouse mirror\n\nOne incremental pass of the MySQL → DuckDB mirror (MYSQL_URL → DUCKDB_PATH).\n' +
    'A running server keeps its own mirror current; this command refuses to run while one holds the file.',
  async run(argv, config) {
    parseCommandArgs(argv, {}, false);
    if (!config.mysqlUrl)
      throw new UsageError(
        'MYSQL_URL is not set: in embedded mode DuckDB is the record, there is nothing to mirror',
      );
    const holder = await serverHoldingFile(config.duckdbPath);
    if (holder) {
      throw new CliError(
        `the evalhouse server at ${holder.url} (pid ${holder.pid}) holds ${config.duckdbPath} and ${holder.store === 'mysql' ? 'keeps its mirror current itself' : 'serves it as its embedded store'}; stop it to run a pass here`,
      );
    }
    // DuckDB first: a held file fails here, before a MySQL pool exists to keep the process alive
    const duck = await DuckDbStore.open(config.duckdbPath, duckDbResources(config));
    let mysql: MysqlStore | undefined;
    let mirror: Mirror | undefined;
    try {
      mysql = await MysqlStore.open(config.mysqlUrl, 2);
      // one pass, so it reconciles too: what it leaves is exactly MySQL's rows, however long a transaction ran
      mirror = new Mirror(mysql.pool, duck, { reconcileIntervalMs: 0 });
      const progress = progressPrinter('mirror');
      const s = await mirror.syncOnce((d, t) => progress.update(d, t));
      progress.done();
      const rate = s.rows > 0 ? Math.round(s.rows / (s.elapsedMs / 1000)) : 0;
      console.log(
        `mirrored ${s.rows} rows in ${(s.elapsedMs / 1000).toFixed(2)} s (${rate} rows/s); runs invalidated ${s.invalidatedRuns}; rows repaired ${s.repairedRows}; catalog ${s.catalogCopied ? 'copied' : 'unchanged'}`,
      );
      return 0;
    } finally {
      mirror?.dispose();
      await mysql?.close();
      await duck.close();
    }
  },
};
