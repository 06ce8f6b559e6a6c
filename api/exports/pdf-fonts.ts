/** How pdfkit sets the report's text in the bundled font (charts/fonts.ts says which files). */

/** Text that needs OpenType shaping to be drawn right: combining marks, and Hangul as conjoining jamo (NFD). */
const NEEDS_SHAPING = /[\p{M}\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff]/u;

interface Glyph {
  id: number;
  advanceWidth: number;
  codePoints: number[];
}
interface FontkitFont {
  layout: (text: string, features?: unknown) => { glyphs: Glyph[] };
  glyphForCodePoint: (cp: number) => Glyph;
  getGlyph: (id: number, codePoints: number[]) => Glyph;
}
/** Per font file: the glyph ids of the digits 0–9 in tabular figures. */
const TABULAR_DIGITS = new Map<string, number[]>();

/**
 * The report's text is set glyph by glyph from the font's character map, digits in tabular figures, without
 * OpenType shaping. pdfkit shapes every new word with fontkit, and with Pretendard's 47 GSUB features that costs
 * one to two milliseconds a word: seconds for a report that is mostly distinct numbers. A table needs no
 * ligatures and no kerning (it would misalign a column), only digits of equal width, which the font's `tnum`
 * feature names once. Text that cannot be drawn right without shaping still is shaped. pdfkit has no option for
 * this, so its fontkit font's layout is wrapped (pdfkit calls it with no features for plain text; with features
 * asked for, it goes to fontkit unchanged).
 */
export function plainLayout(pdf: PDFKit.PDFDocument, name: string): void {
  pdf.font(name);
  const font = (pdf as unknown as { _font: { font: FontkitFont } })._font.font;
  const layout = font.layout.bind(font);
  const glyphs = new Map<string, Glyph>();
  let tnum = TABULAR_DIGITS.get(name);
  if (!tnum) {
    // Shaping once per process: fontkit decodes the font's GSUB for it, a tenth of a second.
    tnum = layout('0123456789', ['tnum']).glyphs.map((g) => g.id);
    TABULAR_DIGITS.set(name, tnum);
  }
  for (const [d, id] of tnum.entries()) glyphs.set(String(d), font.getGlyph(id, [48 + d]));
  const glyph = (ch: string): Glyph => {
    let g = glyphs.get(ch);
    if (!g) {
      g = font.glyphForCodePoint(ch.codePointAt(0)!);
      glyphs.set(ch, g);
    }
    return g;
  };
  font.layout = (text, features) => {
    if (features !== undefined || NEEDS_SHAPING.test(text)) return layout(text, features);
    const run = Array.from(text, glyph);
    const positions = run.map((g) => ({ xAdvance: g.advanceWidth, yAdvance: 0, xOffset: 0, yOffset: 0 }));
    return {
      glyphs: run,
      positions,
      // A getter, as fontkit's GlyphRun has: pdfkit rescales the positions to its 1000-unit em afterwards.
      get advanceWidth() {
        return positions.reduce((w, p) => w + p.xAdvance, 0);
      },
    };
  };
}
