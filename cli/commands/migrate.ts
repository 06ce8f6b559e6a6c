import { openRecordStore } from '../../store/open.ts';
import { type Command, parseCommandArgs } from '../command.ts';

export const command: Command = {
  name: 'migrate',
  summary: 'apply the schema to MySQL (MYSQL_URL) or the DuckDB file',
  usage:
    'usage: evalhouse migrate\n\nApplies sql/mysql migrations (or the DuckDB schema in embedded mode). Safe to run again.',
  async run(argv, config) {
    parseCommandArgs(argv, {}, false);
    const store = await openRecordStore(config); // opening migrates
    await store.close();
    console.log(`schema up to date (${config.mysqlUrl ? 'MySQL' : `DuckDB ${config.duckdbPath}`})`);
    return 0;
  },
};
