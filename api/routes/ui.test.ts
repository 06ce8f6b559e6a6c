import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { tmpDir } from '../../test/helpers/tmp.ts';
import { installErrorHandler } from '../errors.ts';
import { uiRoutes } from './ui.ts';

const tmp = tmpDir('evalhouse-ui-route-');
afterAll(() => tmp.cleanup());

async function appOver(dir: string) {
  const app = Fastify();
  installErrorHandler(app);
  await app.register(uiRoutes, { dir });
  return app;
}

describe('GET / (the built dashboards)', () => {
  const built = join(tmp.dir, 'dist');
  mkdirSync(join(built, 'assets'), { recursive: true });
  const page =
    '<!doctype html><title>evalhouse</title><script type="module" src="./assets/app-1.js"></script>';
  const js = `console.log(${JSON.stringify('x'.repeat(2000))});`;
  writeFileSync(join(built, 'index.html'), page);
  writeFileSync(join(built, 'assets/app-1.js'), js);
  writeFileSync(join(built, 'assets/app-1.js.br'), brotliCompressSync(js));

  it('serves the page with a content security policy, revalidated; hashed assets cached for a year', async () => {
    const app = await appOver(built);
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toBe(page);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['cache-control']).toBe('no-cache');
    const asset = await app.inject({ method: 'GET', url: '/assets/app-1.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.body).toBe(js);
    expect(asset.headers['cache-control']).toContain('immutable');
    expect(asset.headers['x-content-type-options']).toBe('nosniff');
    await app.close();
  });

  it('sends the brotli copy to a client that accepts it', async () => {
    const app = await appOver(built);
    const res = await app.inject({
      method: 'GET',
      url: '/assets/app-1.js',
      headers: { 'accept-encoding': 'br' },
    });
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.rawPayload.length).toBeLessThan(js.length / 10);
    await app.close();
  });

  it('an unknown path stays the API JSON 404, not the page', async () => {
    const app = await appOver(built);
    for (const url of [
      '/nope',
      '/assets/missing.js',
      '/../package.json',
      '/assets/%2e%2e/%2e%2e/package.json',
    ]) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error, url).toBe('NOT_FOUND');
    }
    await app.close();
  });

  it('without a build, GET / answers 503 with a page saying how to build it', async () => {
    const app = await appOver(join(tmp.dir, 'missing'));
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('npm run build:ui');
    await app.close();
  });
});
