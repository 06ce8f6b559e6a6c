/**
 * A small evaluator for normalized LaTeX arithmetic: numbers, + - * / ^, \frac, \sqrt, \sqrt[n],
 * \pi, \cdot, \times, parentheses and braces, implicit multiplication, mixed numbers (2\frac{1}{3})
 * and single-letter variables bound by `env`. Returns null for anything else, so only answers that
 * are plainly numbers (or simple expressions) are compared by value.
 */
export function evalLatex(src: string, env: Record<string, number> = {}): number | null {
  const p = new Parser(src, env);
  try {
    const v = p.expr();
    if (p.i !== src.length) return null;
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

class Parser {
  i = 0;
  constructor(
    readonly s: string,
    readonly env: Record<string, number>,
  ) {}

  private fail(): never {
    throw new Error('not arithmetic');
  }
  private peek(str: string): boolean {
    return this.s.startsWith(str, this.i);
  }
  private eat(str: string): boolean {
    if (!this.peek(str)) return false;
    this.i += str.length;
    return true;
  }

  expr(): number {
    let v = this.term();
    for (;;) {
      if (this.eat('+')) v += this.term();
      else if (this.eat('-')) v -= this.term();
      else return v;
    }
  }

  private term(): number {
    let v = this.unary();
    for (;;) {
      if (this.eat('*') || this.eat('\\cdot') || this.eat('\\times')) v *= this.unary();
      else if (this.eat('/') || this.eat('\\div')) v /= this.unary();
      else if (this.startsAtom()) v *= this.power();
      else return v;
    }
  }

  private unary(): number {
    if (this.eat('-')) return -this.unary();
    if (this.eat('+')) return this.unary();
    return this.power();
  }

  private power(): number {
    const base = this.atom();
    if (this.eat('^')) return base ** (this.peek('{') || this.peek('(') ? this.atom() : this.single());
    return base;
  }

  /** An exponent without braces is one character: 2^10 is 2^1 · 0 in TeX, but write it as people mean: digits. */
  private single(): number {
    if (this.eat('-')) return -this.single();
    return this.atom();
  }

  private startsAtom(): boolean {
    const c = this.s[this.i];
    if (c === undefined) return false;
    return /[\d.({a-zA-Z]/.test(c) || this.peek('\\frac') || this.peek('\\sqrt') || this.peek('\\pi');
  }

  private group(): number {
    if (!this.eat('{')) this.fail();
    const v = this.expr();
    if (!this.eat('}')) this.fail();
    return v;
  }

  private atom(): number {
    const num = /^(?:\d+(?:\.\d*)?|\.\d+)/.exec(this.s.slice(this.i));
    if (num) {
      this.i += num[0].length;
      // Mixed number: 2\frac{1}{3} = 2 + 1/3.
      if (/^\d+$/.test(num[0]) && /^\\frac\{\d+\}\{\d+\}/.test(this.s.slice(this.i)))
        return Number(num[0]) + this.atom();
      return Number(num[0]);
    }
    if (this.eat('\\frac')) {
      const a = this.group();
      return a / this.group();
    }
    if (this.eat('\\sqrt')) {
      if (this.eat('[')) {
        const n = this.expr();
        if (!this.eat(']')) this.fail();
        return this.group() ** (1 / n);
      }
      return Math.sqrt(this.group());
    }
    if (this.eat('\\pi')) return Math.PI;
    if (this.peek('{')) return this.group();
    if (this.eat('(')) {
      const v = this.expr();
      if (!this.eat(')')) this.fail();
      return v;
    }
    const c = this.s[this.i];
    if (c !== undefined && /[a-zA-Z]/.test(c) && c in this.env) {
      this.i++;
      return this.env[c]!;
    }
    return this.fail();
  }
}
