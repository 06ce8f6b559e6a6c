import { createHmac, randomBytes } from 'node:crypto';

/** API keys and refresh tokens: a kind prefix and 32 random bytes, base64url. */
export const KEY_PREFIX = 'ehk_';
export const REFRESH_PREFIX = 'ehr_';
/** How many leading characters of a key are kept to recognise it (`ehk_` and 6 random ones). */
export const SHOWN_CHARS = 10;

export const newToken = (prefix: typeof KEY_PREFIX | typeof REFRESH_PREFIX): string =>
  prefix + randomBytes(32).toString('base64url');

/** What is stored of a token: HMAC-SHA256 keyed with the server secret, hex (a database dump reveals no key). */
export const tokenHash = (secret: string, token: string): string =>
  createHmac('sha256', secret).update(token).digest('hex');
