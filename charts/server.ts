/**
 * Server-side rendering of the chart specifications (charts/specs.ts): Plot draws into a linkedom document, the
 * result becomes one standalone SVG (what the PDF draws as vectors), and resvg rasterises it to PNG (the xlsx
 * image) with the bundled fonts only, so a chart looks the same on every machine and Hangul never depends on
 * what the host has installed.
 */
import * as Plot from '@observablehq/plot';
import { Resvg, type ResvgRenderOptions, renderAsync } from '@resvg/resvg-js';
import { parseHTML } from 'linkedom';
import type { Chart } from '../api/exports/document.ts';
import { FONT_FAMILY, fontFiles } from './fonts.ts';

const SVG_NS = 'http://www.w3.org/2000/svg';

/** The part of the DOM used here (the project's typecheck has no DOM lib; linkedom implements all of it). */
interface El {
  readonly tagName: string;
  readonly children: Iterable<El>;
  readonly childNodes: Iterable<unknown>;
  readonly attributes: Iterable<{ name: string; value: string }>;
  textContent: string | null;
  readonly outerHTML: string;
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
  querySelectorAll(selector: string): Iterable<El>;
  append(...nodes: unknown[]): void;
}
interface Doc {
  createElementNS(ns: string, tag: string): El;
}
/** The PNG's pixel density over the SVG's CSS pixels: sharp in a spreadsheet at 100–200 % zoom. */
const DEFAULT_SCALE = 2;

// Plot only creates detached elements, so one document serves every render.
let doc: Doc | undefined;
const serverDocument = (): Doc => {
  doc ??= parseHTML('<!doctype html><html><body></body></html>').document as unknown as Doc;
  return doc;
};

/** A rendered SVG with its size in CSS pixels. */
export interface RenderedSvg {
  svg: string;
  width: number;
  height: number;
}

/** Plot's output as one standalone SVG document and its size. */
export function renderSvgSized(spec: Plot.PlotOptions): RenderedSvg {
  const document = serverDocument();
  const node = Plot.plot({ ...spec, document: document as never }) as unknown as El;
  const root = node.tagName.toLowerCase() === 'svg' ? node : flattenFigure(document, node);
  const width = size(root, 'width');
  const height = size(root, 'height');
  root.setAttribute('xmlns', SVG_NS);
  root.setAttribute('viewBox', `0 0 ${width} ${height}`);
  // one family for every text: the name resvg and the PDF writer map to the bundled files (fonts.ts)
  root.setAttribute('font-family', FONT_FAMILY);
  for (const el of root.querySelectorAll('[font-family]')) el.setAttribute('font-family', FONT_FAMILY);
  // Plot's tips paint with a CSS variable its stylesheet sets to white; a standalone renderer may not resolve it
  for (const el of root.querySelectorAll('[fill="var(--plot-background)"]')) el.setAttribute('fill', 'white');
  return { svg: root.outerHTML, width, height };
}

/** Plot's output as a standalone SVG string (xmlns, width, height, viewBox, the bundled font family). */
export function renderSvg(spec: Plot.PlotOptions): string {
  return renderSvgSized(spec).svg;
}

function size(el: El, name: 'width' | 'height'): number {
  const v = Number(el.getAttribute(name));
  if (!Number.isFinite(v) || v <= 0) throw new Error(`Plot produced an svg without a numeric ${name}`);
  return v;
}

/**
 * A <figure> (legends above the chart; a title, subtitle or caption when the spec asks) as one SVG: each child
 * svg becomes a group translated below the previous one, headings become text lines. HTML swatch legends
 * (ordinal colour with `legend: true`) have no SVG form here; the specs do not produce them.
 */
function flattenFigure(document: Doc, figure: El): El {
  const out = document.createElementNS(SVG_NS, 'svg');
  let y = 0;
  let width = 0;
  for (const child of [...figure.children]) {
    const tag = child.tagName.toLowerCase();
    if (tag === 'svg') {
      const w = size(child, 'width');
      const h = size(child, 'height');
      const g = document.createElementNS(SVG_NS, 'g');
      for (const a of [...child.attributes]) {
        if (!['width', 'height', 'viewBox', 'style'].includes(a.name)) g.setAttribute(a.name, a.value);
      }
      g.setAttribute('transform', `translate(0,${y})`);
      g.append(...child.childNodes);
      out.append(g);
      y += h;
      width = Math.max(width, w);
    } else if (tag === 'h2' || tag === 'h3' || tag === 'figcaption') {
      const fontSize = tag === 'h2' ? 16 : 12;
      const text = document.createElementNS(SVG_NS, 'text');
      text.setAttribute('x', '0');
      text.setAttribute('y', String(y + fontSize));
      text.setAttribute('font-size', String(fontSize));
      if (tag === 'h2') text.setAttribute('font-weight', 'bold');
      text.textContent = child.textContent ?? '';
      out.append(text);
      y += fontSize * 1.5;
    } else {
      throw new Error(
        `cannot put a <${tag}> of a Plot figure into an SVG (a swatch legend?); use a ramp legend`,
      );
    }
  }
  out.setAttribute('width', String(width));
  out.setAttribute('height', String(y));
  return out;
}

function resvgOptions(scale: number): ResvgRenderOptions {
  const { regular, bold } = fontFiles();
  return {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: {
      fontFiles: [regular, bold],
      loadSystemFonts: false,
      defaultFontFamily: FONT_FAMILY,
      sansSerifFamily: FONT_FAMILY,
    },
    logLevel: 'off',
  };
}

/** The SVG as raw RGBA pixels (row-major, 4 bytes a pixel), with the bundled fonts only. */
export function rasterize(
  svg: string,
  opts: { scale?: number } = {},
): { width: number; height: number; pixels: Uint8Array } {
  const image = new Resvg(svg, resvgOptions(opts.scale ?? DEFAULT_SCALE)).render();
  return { width: image.width, height: image.height, pixels: image.pixels };
}

/** The SVG as PNG, `scale` device pixels per CSS pixel (default 2), with the bundled fonts only. */
export function renderPng(svg: string, opts: { scale?: number } = {}): Uint8Array {
  return new Resvg(svg, resvgOptions(opts.scale ?? DEFAULT_SCALE)).render().asPng();
}

/**
 * renderPng with resvg's parsing, text layout and rasterising on libuv's thread pool: only the PNG encoding
 * runs on the caller's thread. Text layout is most of the time (about 1–3 ms a text element), so a chart with
 * hundreds of labels holds the event loop for seconds with renderPng and for tens of ms with this.
 */
export async function renderPngAsync(svg: string, opts: { scale?: number } = {}): Promise<Uint8Array> {
  const image = await renderAsync(svg, resvgOptions(opts.scale ?? DEFAULT_SCALE));
  return image.asPng();
}

/** A chart for an export document: the SVG (vector) and its PNG, sized in CSS pixels. */
export function renderChart(spec: Plot.PlotOptions, title: string): Chart & { png: Uint8Array } {
  const { svg, width, height } = renderSvgSized(spec);
  return { title, svg, png: renderPng(svg), width, height };
}

/** renderChart for request handlers: the same chart, its PNG rendered off the event loop (renderPngAsync). */
export async function renderChartAsync(
  spec: Plot.PlotOptions,
  title: string,
): Promise<Chart & { png: Uint8Array }> {
  const { svg, width, height } = renderSvgSized(spec);
  return { title, svg, png: await renderPngAsync(svg), width, height };
}
