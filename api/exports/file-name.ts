/**
 * Export file names: what the file holds (benchmark, levels, date) in characters every file system and
 * browser accepts. Names of benchmarks, fields and models are user text: anything but letters, digits, dot,
 * dash and underscore becomes "_", and the name is cut to 120 characters.
 */
export function fileStem(parts: readonly string[], now: Date): string {
  const clean = (s: string) =>
    s
      .normalize('NFC')
      .replace(/[^\p{L}\p{N}._-]+/gu, '_')
      .replace(/^[._]+|_+$/g, '');
  const stem = [...parts.map(clean).filter((s) => s !== ''), now.toISOString().slice(0, 10)].join('_');
  return [...stem].slice(0, 120).join('');
}

/** A Content-Disposition header: an ASCII fallback name and the UTF-8 one (RFC 6266, RFC 8187). */
export function contentDisposition(stem: string, extension: string): string {
  const name = `${stem}.${extension}`;
  const ascii = name.replace(/[^A-Za-z0-9._-]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
