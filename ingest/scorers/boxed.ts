/**
 * The content of the last `\boxed{...}` (or `\fbox{...}`) in a text, braces matched so nested
 * groups like `\boxed{\frac{1}{2}}` come out whole; also the brace-less form `\boxed 5`.
 * Null when there is none or its braces never close.
 */
export function lastBoxed(text: string): string | null {
  const at = Math.max(text.lastIndexOf('\\boxed'), text.lastIndexOf('\\fbox'));
  if (at < 0) return null;
  let i = at + (text.startsWith('\\boxed', at) ? 6 : 5);
  if (text[i] === ' ') {
    const m = /^ +([^\s$]+)/.exec(text.slice(i));
    return m ? m[1]! : null;
  }
  while (text[i] === ' ') i++;
  if (text[i] !== '{') return null;
  let depth = 0;
  for (let j = i; j < text.length; j++) {
    if (text[j] === '{') depth++;
    else if (text[j] === '}') {
      depth--;
      if (depth === 0) return text.slice(i + 1, j);
    }
  }
  return null;
}

/** The text after the last "the answer is" / "Answer:" (to the end of that line), trimmed. */
export function answerStatement(text: string): string | null {
  let found: string | null = null;
  for (const m of text.matchAll(/(?:the (?:final )?answer is|final answer:|answer:)\s*(.+)/gi)) found = m[1]!;
  return found?.trim() ?? null;
}
