// The worker's entry (plain JavaScript): registers tsx in this thread, then loads the TypeScript worker.
// Workers do not inherit the parent's module hooks on Node 20, and `--import tsx` in execArgv comes too late.
import { register } from 'tsx/esm/api';

register();
await import('./render-worker.ts');
