/**
 * Server rendering without a store: Hangul reaches the PNG through the bundled font only, a Plot <figure>
 * becomes one SVG, and the PNG is what the SVG says. Sample files go to test-output/charts/.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import * as Plot from '@observablehq/plot';
import { DOMParser } from 'linkedom';
import { describe, expect, it } from 'vitest';
import { FONT_FAMILY, fontFiles } from './fonts.ts';
import { rasterize, renderChart, renderPng, renderSvg } from './server.ts';

const OUT = 'test-output/charts';
mkdirSync(OUT, { recursive: true });

/** Only `text`, black on white, in the middle of a small chart. */
const textOnly = (text: string): Plot.PlotOptions => ({
  width: 240,
  height: 60,
  margin: 0,
  marks: [Plot.text([text], { text: (d: string) => d, frameAnchor: 'middle', fontSize: 28, fill: 'black' })],
});

/** Dark pixels (each of r, g, b below 100) and their bounding box, from raw RGBA. */
function darkPixels(img: { width: number; height: number; pixels: Uint8Array }) {
  let count = 0;
  const box = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const i = 4 * (y * img.width + x);
      if (img.pixels[i]! < 100 && img.pixels[i + 1]! < 100 && img.pixels[i + 2]! < 100) {
        count++;
        box.x0 = Math.min(box.x0, x);
        box.y0 = Math.min(box.y0, y);
        box.x1 = Math.max(box.x1, x);
        box.y1 = Math.max(box.y1, y);
      }
    }
  }
  return { count, box };
}

describe('fonts', () => {
  it('are the Pretendard TTF files of the pretendard package', () => {
    const files = fontFiles();
    expect(FONT_FAMILY).toBe('Pretendard');
    for (const f of [files.regular, files.bold]) {
      expect(f).toMatch(
        /node_modules\/pretendard\/dist\/public\/static\/alternative\/Pretendard-(Regular|Bold)\.ttf$/,
      );
      // TrueType outlines (sfnt version 1.0), not WOFF or CFF
      expect([...readFileSync(f).subarray(0, 4)]).toEqual([0, 1, 0, 0]);
    }
  });
});

describe('Korean text in the PNG', () => {
  it('"한국어-모델 수학" is drawn: dark pixels inside the text area', () => {
    const svg = renderSvg(textOnly('한국어-모델 수학'));
    expect(svg).toContain('한국어-모델 수학');
    writeFileSync(join(OUT, 'korean.svg'), svg);
    writeFileSync(join(OUT, 'korean.png'), renderPng(svg));
    const img = rasterize(svg, { scale: 1 });
    const { count, box } = darkPixels(img);
    expect(count).toBeGreaterThan(300);
    // centred text of 28px: the ink lies inside the middle band, away from the edges
    expect(box.x0).toBeGreaterThan(5);
    expect(box.x1).toBeLessThan(235);
    expect(box.y0).toBeGreaterThan(5);
    expect(box.y1).toBeLessThan(55);
    expect(box.x1 - box.x0).toBeGreaterThan(150);
  });

  it('each syllable has a glyph of its own (not one missing-glyph box for all)', () => {
    const render = (t: string) => rasterize(renderSvg(textOnly(t)), { scale: 1 }).pixels;
    // a private-use code point: no font has a glyph for it, so it shows what a missing glyph looks like
    const missing = Buffer.from(render('\uE000'));
    const syllables = ['한', '국', '어', '모', '델', '수', '학'];
    const images = syllables.map((s) => Buffer.from(render(s)));
    for (const [i, img] of images.entries()) {
      expect(darkPixels({ width: 240, height: 60, pixels: img }).count, syllables[i]).toBeGreaterThan(30);
      expect(img.equals(missing), syllables[i]).toBe(false);
      for (const other of images.slice(i + 1)) expect(img.equals(other)).toBe(false);
    }
  });
});

describe('renderSvg', () => {
  it('a <figure> (title, subtitle, legend, chart, caption) becomes one SVG with all of them', () => {
    const spec: Plot.PlotOptions = {
      title: 'Title text',
      subtitle: 'Subtitle text',
      caption: 'Caption text',
      color: { type: 'quantize', n: 5, domain: [0, 1], scheme: 'blues', legend: true },
      marks: [Plot.cell([0.1, 0.5, 0.9], { x: (_d: number, i: number) => i, fill: (d: number) => d })],
    };
    const svg = renderSvg(spec);
    expect(svg.match(/<svg/g)?.length).toBe(1);
    const root = new DOMParser().parseFromString(svg, 'image/svg+xml').documentElement;
    const texts = [...root.querySelectorAll(':scope > text')].map((t) => t.textContent);
    expect(texts).toEqual(['Title text', 'Subtitle text', 'Caption text']);
    // legend and chart as translated groups, one under the other
    const groups = [...root.querySelectorAll(':scope > g')];
    expect(groups.length).toBe(2);
    expect(groups[0]!.querySelectorAll('rect').length).toBe(5);
    expect(groups[1]!.querySelectorAll('g[aria-label="cell"] rect').length).toBe(3);
    const y = (g: (typeof groups)[number]) =>
      Number(/translate\(0,([\d.]+)\)/.exec(g.getAttribute('transform')!)![1]);
    expect(y(groups[1]!)).toBeGreaterThan(y(groups[0]!));
    expect(Number(root.getAttribute('height'))).toBeGreaterThan(y(groups[1]!));
    // resvg reads it as well-formed XML of that size
    const img = rasterize(svg, { scale: 1 });
    expect([img.width, img.height]).toEqual([
      Number(root.getAttribute('width')),
      Number(root.getAttribute('height')),
    ]);
  });

  it('an HTML swatch legend is refused with a message, not drawn half', () => {
    const spec: Plot.PlotOptions = {
      color: { legend: true },
      marks: [Plot.dot(['a', 'b'], { x: (_d: string, i: number) => i, fill: (d: string) => d })],
    };
    expect(() => renderSvg(spec)).toThrow(/swatch/);
  });
});

describe('renderChart', () => {
  it('a PNG of the SVG at twice its size', () => {
    const chart = renderChart(textOnly('abc'), 'a chart');
    expect(chart).toMatchObject({ title: 'a chart', width: 240, height: 60 });
    const png = Buffer.from(chart.png);
    expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    // IHDR: width and height, big-endian, right after the signature and chunk header
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([480, 120]);
    // the image data inflates to (1 filter byte + 4 bytes RGBA × width) per row
    const idat: Buffer[] = [];
    for (let o = 8; o < png.length; ) {
      const len = png.readUInt32BE(o);
      if (png.toString('latin1', o + 4, o + 8) === 'IDAT') idat.push(png.subarray(o + 8, o + 8 + len));
      o += 12 + len;
    }
    expect(inflateSync(Buffer.concat(idat)).length).toBe(120 * (1 + 4 * 480));
  });
});
