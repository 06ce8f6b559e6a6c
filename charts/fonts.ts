import { createRequire } from 'node:module';

/**
 * The fonts every server-side rendering of a chart or report uses, named in one place: Pretendard (OFL-1.1,
 * the `pretendard` npm package), which covers Hangul as well as Latin. TTF, not WOFF: pdfkit leaves WOFF glyphs
 * blank, and resvg reads TTF. The SVGs name FONT_FAMILY; resvg and the PDF writer load these files for it.
 */
export const FONT_FAMILY = 'Pretendard';

const require = createRequire(import.meta.url);
// resolved through the package (not a path relative to this file), so hoisting or a moved folder still finds it
const file = (weight: 'Regular' | 'Bold') =>
  require.resolve(`pretendard/dist/public/static/alternative/Pretendard-${weight}.ttf`);

/** Absolute paths of the regular and bold TTF files. */
export function fontFiles(): { regular: string; bold: string } {
  return { regular: file('Regular'), bold: file('Bold') };
}
