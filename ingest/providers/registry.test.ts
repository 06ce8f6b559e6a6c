import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { modelsCommand } from '../../cli/commands/models.ts';
import { loadConfig } from '../../core/config.ts';
import { startFakeProvider } from '../../test/fake-provider/server.ts';
import { tmpDir } from '../../test/helpers/tmp.ts';
import { classifyError, retryAfterMs } from './classify.ts';
import { loadModels, ModelsFileError, saveModel } from './models.ts';
import { createProvider, ModelSetupError, resolveModel } from './registry.ts';

const tmp = tmpDir('evalhouse-models-');
afterAll(() => tmp.cleanup());

describe('resolveModel and createProvider', () => {
  const models = [
    { name: 'mini', provider: 'openai' as const, model: 'gpt-4o-mini', price: { input: 0.15, output: 0.6 } },
    { name: 'claude', provider: 'anthropic' as const, model: 'claude-x', api_key_env: 'MY_CLAUDE_KEY' },
  ];
  it('finds a named model, or builds an ad hoc one from provider:id', () => {
    expect(resolveModel('mini', models)).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini' });
    expect(
      resolveModel('openai-compatible:llama3.1:8b', models, { baseUrl: 'http://h:1/v1', apiKeyEnv: 'K' }),
    ).toEqual({
      name: 'openai-compatible:llama3.1:8b',
      provider: 'openai-compatible',
      model: 'llama3.1:8b',
      base_url: 'http://h:1/v1',
      api_key_env: 'K',
    });
  });
  it('says what is wrong with an unknown model or provider', () => {
    expect(() => resolveModel('nope', models)).toThrow(
      /unknown model "nope": models.yaml declares mini, claude/,
    );
    expect(() => resolveModel('vertex:gemini', models)).toThrow(
      /unknown provider "vertex".*openai, anthropic, google, openai-compatible/,
    );
  });
  it('refuses at start when the key variable is missing, naming it', async () => {
    await expect(createProvider(resolveModel('mini', models), {})).rejects.toThrow(
      /set the environment variable OPENAI_API_KEY/,
    );
    await expect(createProvider(resolveModel('claude', models), { ANTHROPIC_API_KEY: 'x' })).rejects.toThrow(
      /MY_CLAUDE_KEY \(api_key_env\)/,
    );
    await expect(createProvider(resolveModel('openai-compatible:m', models), {})).rejects.toThrow(
      /needs a base URL/,
    );
    await expect(
      createProvider(
        resolveModel('openai-compatible:m', models, { apiKeyEnv: 'VLLM_KEY', baseUrl: 'http://h/v1' }),
        {},
      ),
    ).rejects.toBeInstanceOf(ModelSetupError);
    const p = await createProvider(resolveModel('mini', models), { OPENAI_API_KEY: 'sk-x' });
    expect(p.id).toBe('openai:gpt-4o-mini');
  });
  it('reads the key from the env object it is given and sends it', async () => {
    const fake = await startFakeProvider({ apiKey: 'sk-from-env' });
    try {
      const m = resolveModel('openai-compatible:m', models, {
        baseUrl: fake.openaiBaseURL,
        apiKeyEnv: 'VLLM_KEY',
      });
      const p = await createProvider(m, { VLLM_KEY: 'sk-from-env' });
      const r = await p.complete(
        { messages: [{ role: 'user', content: 'hi' }], params: { max_tokens: 5 } },
        { signal: new AbortController().signal },
      );
      expect(r.ok).toBe(true);
      expect(fake.requests[0]?.body.max_tokens).toBe(5); // compatible servers get max_tokens
    } finally {
      await fake.close();
    }
  });
});

describe('classifyError', () => {
  const signal = new AbortController().signal;
  const apiError = (status: number, body: object, headers: Record<string, string> = {}) =>
    Object.assign(new Error(`${status}`), { status, error: body, headers: new Headers(headers) });
  it('parses retry-after-ms, retry-after seconds and dates', () => {
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '1500.5', 'retry-after': '9' }))).toBe(1500.5);
    expect(retryAfterMs(new Headers({ 'retry-after': '2' }))).toBe(2000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }), now)).toBe(3000);
    expect(retryAfterMs(new Headers({}))).toBeNull();
  });
  it('retries 408, 409, 429, 5xx and 529; stops on 400/401/403 (failed) and spend limits (paused)', () => {
    for (const s of [408, 409, 429, 500, 502, 503, 529])
      expect(classifyError(apiError(s, {}), signal, 'x').kind).toBe('retryable');
    for (const s of [400, 401, 403, 404])
      expect(classifyError(apiError(s, {}), signal, 'x')).toMatchObject({ kind: 'fatal', stop: 'failed' });
    const quota = classifyError(apiError(429, { code: 'insufficient_quota' }), signal, 'x');
    expect(quota).toMatchObject({ kind: 'fatal', stop: 'paused', code: 'insufficient_quota' });
    const credit = apiError(400, { type: 'error', error: { type: 'invalid_request_error' } });
    credit.message = '400 Your credit balance is too low to access the Anthropic API.';
    expect(classifyError(credit, signal, 'x')).toMatchObject({ stop: 'paused' });
    const e = classifyError(apiError(429, {}, { 'retry-after': '3' }), signal, 'x');
    expect(e.retryAfterMs).toBe(3000);
    expect(e.cause).toBeInstanceOf(Error);
  });
});

describe('models.yaml', () => {
  it('round-trips through add, replaces by name, never stores a key, rejects bad files', async () => {
    const file = join(tmp.dir, 'models.yaml');
    expect(await loadModels(file)).toEqual([]);
    await saveModel(file, { name: 'a', provider: 'openai', model: 'gpt-x', api_key_env: 'OPENAI_API_KEY' });
    expect(await saveModel(file, { name: 'a', provider: 'openai', model: 'gpt-y' })).toBe('replaced');
    expect(await loadModels(file)).toEqual([{ name: 'a', provider: 'openai', model: 'gpt-y' }]);
    const bad = join(tmp.dir, 'bad.yaml');
    await saveModel(bad, { name: 'a', provider: 'openai', model: 'm' });
    const { writeFileSync } = await import('node:fs');
    writeFileSync(bad, 'models:\n  - name: a\n    provider: openai\n    model: m\n    api_key: sk-oops\n');
    await expect(loadModels(bad)).rejects.toBeInstanceOf(ModelsFileError);
  });
  it('`models add` writes the key variable name and `models list` never prints the key', async () => {
    const file = join(tmp.dir, 'cli-models.yaml');
    const logs: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...a) => void logs.push(a.join(' ')));
    try {
      const env = { SECRET_KEY_VAR: 'sk-very-secret-value' };
      const config = loadConfig({});
      const add = [
        'add',
        '--name',
        'm1',
        '--provider',
        'openai',
        '--model',
        'gpt-x',
        '--api-key-env',
        'SECRET_KEY_VAR',
        '--price-in',
        '1',
        '--price-out',
        '2',
        '--models-file',
        file,
      ];
      expect(await modelsCommand(add, config, env)).toBe(0);
      expect(await modelsCommand(['list', '--models-file', file], config, env)).toBe(0);
      expect(await modelsCommand(['list', '--json', '--models-file', file], config, env)).toBe(0);
      const text = logs.join('\n');
      expect(text).toMatch(/\$SECRET_KEY_VAR \(set\)/);
      expect(text).not.toContain('sk-very-secret-value');
      expect(readFileSync(file, 'utf8')).not.toContain('sk-very-secret-value');
      expect(readFileSync(file, 'utf8')).toContain('api_key_env: SECRET_KEY_VAR');
    } finally {
      spy.mockRestore();
    }
  });
});
