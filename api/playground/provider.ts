import { createProvider } from '../../ingest/providers/registry.ts';
import type { Provider } from '../../ingest/providers/types.ts';
import { checkBaseUrl, type UrlPolicy } from '../../ingest/providers/url-policy.ts';
import type { CallableModel } from '../../models/types.ts';

/** The variable name the registry's clear key is handed to createProvider under (never the process's env). */
const KEY_VAR = 'EVALHOUSE_REGISTERED_MODEL_KEY';

/**
 * A provider for a registered model: its base URL checked again at call time (a name may resolve
 * elsewhere since it was registered), its key and prices from the registry. createProvider stays the
 * one place that knows each vendor's SDK and default base URL.
 */
export async function providerOfRegistered(c: CallableModel, policy: UrlPolicy): Promise<Provider> {
  if (c.def.base_url) await checkBaseUrl(c.def.base_url, policy);
  const { api_key_env: _ignored, price: _price, ...def } = c.def;
  return createProvider(
    {
      ...def,
      ...(c.apiKey ? { api_key_env: KEY_VAR } : {}),
      ...(c.prices ? { price: c.prices } : {}),
    },
    c.apiKey ? { [KEY_VAR]: c.apiKey } : {},
  );
}
