import type { BenchItem } from '../benchmarks/types.ts';
import { type Scorer, unscored, verdict } from './types.ts';

const ALL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * The letter a response picks, or null. Only letters of the item's choices count (with 4 choices,
 * "E" is no answer). In order, as lm-eval's and simple-evals' extractors do:
 * 1. the whole response is a letter, possibly dressed: "B", "(B)", "**B.**", "B) Paris";
 * 2. an explicit statement, last one wins: "answer is (B)", "Answer: B", "\boxed{B}", "**Answer:** B";
 * 3. an emphasised letter: "**B**", "(B)" — the last one;
 * 4. the last letter standing alone ("B." / "B)" / " B ") — except "A" and "I" followed by a
 *    lower-case word, which are English words ("A good point", "I think").
 */
export function extractChoice(response: string, nChoices: number): string | null {
  const letters = ALL.slice(0, Math.max(0, Math.min(nChoices, ALL.length)));
  if (letters.length === 0) return null;
  const L = `[${letters}]`;
  const text = response.trim();
  const last = (re: RegExp): string | null => {
    let found: string | null = null;
    for (const m of text.matchAll(re)) found = m[1] ?? found;
    return found;
  };

  // 1. Only a letter, or a letter heading an option ("B) Paris", "C. 42").
  const whole = new RegExp(`^[\\s*_(\\[{]*(${L})(?:[\\s*_)\\]}.:]*$|[.):]\\s)`).exec(text);
  if (whole) return whole[1]!;

  // 2. Explicit answer statements.
  const explicit = last(
    new RegExp(
      `(?:[Aa]nswer|ANSWER|[Cc]hoice|[Oo]ption)[*_]*\\s*(?:is|would be|should be|:|=)?\\s*(?:option|choice)?[\\s:*_]*[(\\[]?\\s*(${L})\\b(?!['’\\w])`,
      'g',
    ),
  );
  if (explicit) return explicit;
  const boxed = last(new RegExp(`\\\\boxed\\{\\s*(?:\\\\text\\{)?\\s*\\(?(${L})\\)?\\s*\\}?\\s*\\}`, 'g'));
  if (boxed) return boxed;

  // 3. Emphasised letters.
  const emph = last(new RegExp(`(?:\\*\\*|__)\\s*\\(?(${L})\\)?[.:]?\\s*(?:\\*\\*|__)`, 'g'));
  if (emph) return emph;
  const paren = last(new RegExp(`\\((${L})\\)`, 'g'));
  if (paren) return paren;

  // 4. Last standalone letter that is not an English word.
  let found: string | null = null;
  for (const m of text.matchAll(new RegExp(`(?<![\\w'’-])(${L})(?![\\w'’-])`, 'g'))) {
    const after = text.slice(m.index + 1);
    if ((m[1] === 'A' || m[1] === 'I') && /^\s+[a-z]/.test(after)) continue;
    found = m[1]!;
  }
  return found;
}

/** Multiple choice: the reference is a letter; the item's choices (an array variable) set the valid letters. */
export function multipleChoiceScorer(config: { choices: string }): Scorer {
  return {
    async score(response: string, item: BenchItem) {
      const choices = item.vars[config.choices];
      const n = Array.isArray(choices) ? choices.length : 4;
      const letter = extractChoice(response, n);
      if (letter === null) return unscored();
      return verdict(letter === item.reference.trim().toUpperCase(), letter);
    },
  };
}
