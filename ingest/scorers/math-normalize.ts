/**
 * LaTeX answer normalization for MATH-style answers, after the MATH paper's `strip_string` and
 * Qwen2.5-Math's grader: the same answer written two ways should become the same string.
 */
export function normalizeMath(input: string): string {
  let s = input.trim().replace(/\n/g, ' ');
  // Spacing commands and decoration that carry no meaning.
  s = s.replace(/(?<!\\)\\[!,;: ]/g, ' ').replace(/~/g, ' ');
  s = s.replace(/\\(?:displaystyle|textstyle)/g, '');
  s = s.replace(/\\[dt]frac/g, '\\frac');
  s = s.replace(/\\left\s*(?=[([{|.]|\\[{|])/g, '').replace(/\\right\s*(?=[)\]}|.]|\\[}|])/g, '');
  s = s.replace(/\\left\./g, '').replace(/\\right\./g, '');
  // Degrees, percent, dollars.
  s = s.replace(/\^\s*\{?\s*\\circ\s*\}?/g, '').replace(/°/g, '');
  s = s.replace(/\\%|%/g, '');
  s = s.replace(/\\\$|\$/g, '');
  // Units: a trailing \text{ cm} / \mbox{ inches} after a value.
  s = s.replace(/^(.*?\S)\s*\\(?:text|mbox|mathrm)\{\s*[A-Za-z][A-Za-z .^2-3]*\}\s*$/, (m, head: string) =>
    /[\d})]$/.test(head) ? head : m,
  );
  // \text{abc} → abc (and the same for font commands).
  for (let k = 0; k < 3; k++)
    s = s.replace(/\\(?:text|textbf|textit|mathrm|mathbf|mbox|operatorname)\{([^{}]*)\}/g, '$1');
  s = s.replace(/\{,\}/g, ',');
  s = s.trim().replace(/[.\s]+$/, '');
  // "x = 5", "k=\frac12", "x \in [1,2]": keep the right side when the left is one variable.
  const lhs = /^\s*[a-zA-Z](?:_\{?\w+\}?)?\s*(?:=|\\in)\s*/.exec(s);
  if (lhs && !/=/.test(s.slice(lhs[0].length))) s = s.slice(lhs[0].length);
  s = s.replace(/\s+/g, '');
  // A whole number with thousands separators.
  if (/^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(s)) s = s.replace(/,/g, '');
  s = s.replace(/\\sqrt(\w)/g, '\\sqrt{$1}');
  s = fixFracs(s);
  // a/b of integers → \frac{a}{b}
  const slash = /^(-?)(\d+)\/(\d+)$/.exec(s);
  if (slash) s = `${slash[1]}\\frac{${slash[2]}}{${slash[3]}}`;
  s = s.replace(/(^|[^\d])\.(\d)/g, '$10.$2');
  // Trailing zeros of a decimal: 37.50 → 37.5, 2.0 → 2.
  s = s.replace(/(\d+\.\d*?)0+(?!\d)/g, '$1').replace(/(\d)\.(?!\d)/g, '$1');
  // A lone choice letter "(A)" → "A".
  const choice = /^\(([A-Z])\)$/.exec(s);
  if (choice) s = choice[1]!;
  if (/^\{[^{}]*\}$/.test(s)) s = s.slice(1, -1);
  return s;
}

/** \frac12 → \frac{1}{2}, \frac1{x} → \frac{1}{x}, \frac{a}2 → \frac{a}{2}. */
function fixFracs(s: string): string {
  return s
    .replace(/\\frac(\d)(\d)/g, '\\frac{$1}{$2}')
    .replace(/\\frac(\d)\{/g, '\\frac{$1}{')
    .replace(/\\frac\{([^{}]*)\}(\d)/g, '\\frac{$1}{$2}');
}
