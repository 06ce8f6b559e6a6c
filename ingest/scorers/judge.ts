import { renderValue } from '../benchmarks/render.ts';
import type { BenchItem } from '../benchmarks/types.ts';
import type { ScoreResult, Scorer } from './types.ts';

export const DEFAULT_RUBRIC = `You are grading an answer to a question against the reference answer.

Question:
{{question}}

Reference answer:
{{reference}}

Answer to grade:
{{response}}

Judge only whether the answer's final result agrees with the reference answer (wording may differ; extra explanation is fine; a hedge between several answers is incorrect). If the answer gives no final result, grade it NOT_ATTEMPTED.
Reply with one line of reasoning, then a last line of exactly one of:
GRADE: CORRECT
GRADE: INCORRECT
GRADE: NOT_ATTEMPTED`;

/** The judge's last "GRADE: …" line. Also accepts simple-evals' letters (A correct, B incorrect, C not attempted). */
export function parseGrade(text: string): ScoreResult['outcome'] | null {
  let grade: string | null = null;
  for (const m of text.matchAll(/\bgrade\s*[:=]?\s*\**\s*([A-Za-z_ ]+?)\s*\**\s*(?:$|[.\n])/gim))
    grade = m[1]!;
  if (grade === null) {
    const bare = /^\W*(CORRECT|INCORRECT|NOT_ATTEMPTED|[ABC])\W*$/i.exec(
      text.trim().split('\n').at(-1) ?? '',
    );
    grade = bare?.[1] ?? null;
  }
  if (grade === null) return null;
  const g = grade.trim().toUpperCase().replace(/\s+/g, '_');
  if (g === 'CORRECT' || g === 'A') return 'correct';
  if (g === 'INCORRECT' || g === 'B') return 'incorrect';
  if (g === 'NOT_ATTEMPTED' || g === 'C') return 'unscored';
  return null;
}

/**
 * LLM-as-judge: fills the rubric with {{question}} (the item variable named by `question`),
 * {{reference}} and {{response}}, asks ctx.judge and reads the grade. No judge, a failing judge
 * or a reply without a grade rejects, so the runner records an error rather than a wrong answer.
 */
export function judgeScorer(config: { rubric?: string | undefined; question: string }): Scorer {
  const rubric = config.rubric ?? DEFAULT_RUBRIC;
  return {
    async score(response: string, item: BenchItem, ctx) {
      if (!ctx?.judge) throw new Error('the judge scorer needs a judge model (ctx.judge)');
      const values: Record<string, string> = {
        question: renderValue(item.vars[config.question] ?? ''),
        reference: item.reference,
        response,
      };
      const prompt = rubric.replace(
        /\{\{\s*(question|reference|response)\s*\}\}/g,
        (_, k: string) => values[k]!,
      );
      const reply = await ctx.judge(prompt);
      const outcome = parseGrade(reply);
      if (outcome === null) throw new Error(`judge reply has no grade: ${JSON.stringify(reply.slice(-200))}`);
      if (outcome === 'unscored') return { outcome, correct: null, score: null, answer: null };
      const ok = outcome === 'correct';
      return { outcome, correct: ok, score: ok ? 1 : 0, answer: response.trim() };
    },
  };
}
