/** A small RFC 4180 reader for the tests' independent counts (quoted fields, doubled quotes, `#` provenance line). */
export function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  const body = rows.filter((r) => !(r[0] ?? '').startsWith('# evalhouse'));
  const [header, ...data] = body;
  return data.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i] ?? ''])));
}

/** The stored results of some models as the results export gives them (csv), straight from the server. */
export async function storedResults(base: string, benchmark: string, models: string[]) {
  const res = await fetch(`${base}/exports`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'results', format: 'csv', query: { benchmark, models } }),
  });
  if (!res.ok) throw new Error(`results export: HTTP ${res.status} ${await res.text()}`);
  return parseCsv(await res.text());
}
