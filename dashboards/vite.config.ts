import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** Paths the API answers; the dev server (`npm run dev:ui`) sends them to the running API. */
const API_PATHS = [
  '/analysis',
  '/audit',
  '/auth',
  '/benchmarks',
  '/compare',
  '/exports',
  '/health',
  '/imports',
  '/keys',
  '/me',
  '/members',
  '/metrics',
  '/runs',
  '/settings',
  '/trends',
  '/workspaces',
  '/docs',
  '/openapi.json',
];

const api = process.env.EVALHOUSE_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // the built page is served by the API at `/`; relative asset URLs also work behind a path prefix
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // one report line per chunk with its gzipped size (the budget is 250 KB of JavaScript)
    reportCompressedSize: true,
    chunkSizeWarningLimit: 800,
  },
  server: {
    port: 5173,
    // the API checks Host and Origin: present the API's own origin to it
    proxy: Object.fromEntries(
      API_PATHS.map((p) => [
        p,
        { target: api, changeOrigin: true, headers: { origin: new URL(api).origin } },
      ]),
    ),
  },
});
