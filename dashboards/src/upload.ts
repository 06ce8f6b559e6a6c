/**
 * POST /imports from the page: an XMLHttpRequest, because fetch reports no upload progress. The file goes as
 * the body (application/octet-stream; ?filename= lets the API detect the format by its name, as the CLI does),
 * and a non-2xx answer becomes the same ApiError as api.ts's, details (the invalid records) included.
 */
import type { ImportSummary } from '../../ingest/import-file.ts';
import { ApiError } from './api.ts';

export interface UploadOptions {
  /** ?benchmark=, ?model=, ?run=: names the file does not carry (an lm-eval samples file without its results) */
  names?: { benchmark?: string; model?: string; run?: string };
  onProgress?: (sent: number, total: number) => void;
  signal?: AbortSignal;
}

export function uploadImport(file: File, opts: UploadOptions = {}): Promise<ImportSummary> {
  const qs = new URLSearchParams({ filename: file.name });
  for (const [k, v] of Object.entries(opts.names ?? {})) if (v) qs.set(k, v);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `imports?${qs}`);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.setRequestHeader('accept', 'application/json');
    xhr.responseType = 'text';
    xhr.upload.addEventListener('progress', (e) => opts.onProgress?.(e.loaded, e.total || file.size));
    xhr.addEventListener('load', () => {
      let body: { error?: string; message?: string; details?: unknown } | null = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // not JSON (a proxy's page): the status says what happened
      }
      if (xhr.status >= 200 && xhr.status < 300 && body) resolve(body as ImportSummary);
      else
        reject(
          new ApiError(
            xhr.status,
            body?.error ?? `HTTP_${xhr.status}`,
            body?.message ?? xhr.statusText,
            body?.details ?? null,
          ),
        );
    });
    xhr.addEventListener('error', () =>
      reject(new ApiError(0, 'NETWORK', 'the API did not answer the upload; is the server running?')),
    );
    xhr.addEventListener('abort', () => reject(new DOMException('upload cancelled', 'AbortError')));
    opts.signal?.addEventListener('abort', () => xhr.abort());
    xhr.send(file);
  });
}
