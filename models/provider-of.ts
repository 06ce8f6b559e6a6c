/**
 * TEMPORARY bridge until models/registry.ts's providerOf (branch registry) is merged: the provider of a
 * callable model with its decrypted key, through createProvider with a one-variable environment.
 */
import { createProvider } from '../ingest/providers/registry.ts';
import type { Provider } from '../ingest/providers/types.ts';
import type { CallableModel } from './types.ts';

const VAR = 'EVALHOUSE_REGISTRY_KEY';

export function providerOf(c: CallableModel): Promise<Provider> {
  return createProvider(
    { ...c.def, ...(c.apiKey !== null ? { api_key_env: VAR } : {}) },
    c.apiKey !== null ? { [VAR]: c.apiKey } : {},
  );
}
