import { describe, expect, it } from 'vitest';
import { clean } from './health.ts';

describe('clean (a health error as recorded)', () => {
  const key = 'sk-live-0123456789abcdef/=';
  it('removes the key, also URL-encoded, and the credentials of any URL', () => {
    const msg =
      `401 Incorrect API key provided: ${key} (${encodeURIComponent(key)}) at ` +
      'https://user:p4ss@api.example.com/v1/chat?key=AIzaSecretValue&alt=sse';
    const out = clean(msg, key);
    expect(out).not.toContain('0123456789abcdef');
    expect(out).not.toContain('p4ss');
    expect(out).not.toContain('user:');
    expect(out).not.toContain('AIzaSecretValue');
    expect(out).toContain('https://api.example.com/v1/chat?key=[redacted]&alt=sse');
    expect(out).toContain('401 Incorrect API key provided');
  });
  it('keeps a message without secrets as it is, and cuts a long one at 500 characters', () => {
    expect(clean('listing models: openai:gpt 503: down', null)).toBe('listing models: openai:gpt 503: down');
    const long = clean('x'.repeat(2000), null);
    expect(long).toHaveLength(500);
    expect(long.endsWith('…')).toBe(true);
  });
});
