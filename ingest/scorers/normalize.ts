/**
 * SQuAD's answer normalization (the official evaluate-v1.1 script): lower case, drop punctuation,
 * drop the articles a/an/the, collapse whitespace.
 */
export function squadNormalize(s: string): string {
  return s
    .toLowerCase()
    .replace(/\p{P}/gu, '')
    .replace(/\b(a|an|the)\b/g, ' ')
    .split(/\s+/)
    .filter(Boolean)
    .join(' ');
}

export type Normalization = 'squad' | 'trim' | 'none';

export function normalizeAnswer(s: string, how: Normalization): string {
  if (how === 'squad') return squadNormalize(s);
  if (how === 'trim') return s.trim().replace(/\s+/g, ' ');
  return s;
}
