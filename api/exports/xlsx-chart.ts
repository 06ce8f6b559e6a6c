/**
 * Native (editable) Excel bar charts with custom error bars, added to a package exceljs already wrote: exceljs
 * writes no charts (its issue #141). Per chart this adds xl/charts/chartN.xml (DrawingML c:chartSpace), a
 * graphic frame in the sheet's drawing (appended to the drawing exceljs wrote for images, or a new drawing),
 * the relationships sheet → drawing → chart and the [Content_Types].xml overrides. The same pass repairs
 * exceljs's image anchors (repairImageAnchors).
 *
 * Choices made here:
 * - Element order follows the ECMA-376 schema (CT_BarSer: idx, order, tx, spPr, invertIfNegative, errBars, cat,
 *   val; CT_ErrBars: errDir, errBarType, errValType, noEndCap, plus, minus): Excel refuses a part out of order.
 * - Every reference carries its cache (c:strCache / c:numCache) so the chart draws before any recalculation.
 * - The package is edited as text: we only append elements and relationships to parts whose shape we know
 *   (exceljs's), so a DOM round trip would buy nothing.
 */
import JSZip from 'jszip';

/** A range of cells on a sheet with the values it holds (the cache written beside the reference). */
export interface ChartRange<T> {
  /** An absolute reference with its sheet, e.g. 'Models'!$B$2:$B$15. */
  ref: string;
  values: T[];
}

export interface PlacedBarChart {
  title: string;
  /** The sheet (by name) the chart is drawn on. */
  sheet: string;
  /** Zero-based cell box the chart covers. */
  at: { col: number; row: number; cols: number; rows: number };
  seriesName: ChartRange<string>;
  categories: ChartRange<string>;
  values: ChartRange<number | null>;
  /** Error bar lengths above and below each value (high − value, value − low). */
  plus: ChartRange<number | null>;
  minus: ChartRange<number | null>;
  /** Number format of the value axis, e.g. 0%. */
  valueFormat: string;
}

const NS = {
  c: 'http://schemas.openxmlformats.org/drawingml/2006/chart',
  a: 'http://schemas.openxmlformats.org/drawingml/2006/main',
  r: 'http://schemas.openxmlformats.org/officeDocument/2006/relationships',
  xdr: 'http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing',
  pkgRels: 'http://schemas.openxmlformats.org/package/2006/relationships',
};
const REL_DRAWING = `${NS.r}/drawing`;
const REL_CHART = `${NS.r}/chart`;
const TYPE_CHART = 'application/vnd.openxmlformats-officedocument.drawingml.chart+xml';
const TYPE_DRAWING = 'application/vnd.openxmlformats-officedocument.drawing+xml';

/** The control characters XML 1.0 cannot carry (exceljs drops them too). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

/** XML text: escaped, without the characters XML cannot hold. */
export function xmlText(s: string): string {
  return s
    .replace(NOT_XML, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function unescapeXml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m?.[1] === undefined ? undefined : unescapeXml(m[1]);
}

function strRef(range: ChartRange<string>): string {
  const pts = range.values.map((v, i) => `<c:pt idx="${i}"><c:v>${xmlText(v)}</c:v></c:pt>`).join('');
  return `<c:strRef><c:f>${xmlText(range.ref)}</c:f><c:strCache><c:ptCount val="${range.values.length}"/>${pts}</c:strCache></c:strRef>`;
}

function numRef(range: ChartRange<number | null>, format = 'General'): string {
  // A blank cell has no c:pt: Excel and LibreOffice then leave a gap.
  const pts = range.values
    .map((v, i) => (v === null || !Number.isFinite(v) ? '' : `<c:pt idx="${i}"><c:v>${v}</c:v></c:pt>`))
    .join('');
  return `<c:numRef><c:f>${xmlText(range.ref)}</c:f><c:numCache><c:formatCode>${xmlText(format)}</c:formatCode><c:ptCount val="${range.values.length}"/>${pts}</c:numCache></c:numRef>`;
}

function richText(text: string, sizeHundredths: number, bold: boolean): string {
  return (
    `<c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz="${sizeHundredths}" b="${bold ? 1 : 0}"/></a:pPr>` +
    `<a:r><a:rPr lang="en-US" sz="${sizeHundredths}" b="${bold ? 1 : 0}"/><a:t>${xmlText(text)}</a:t></a:r></a:p></c:rich></c:tx>`
  );
}

/** The chart part: one clustered column series with custom (cell range) error bars. */
export function barChartXml(chart: PlacedBarChart): string {
  const catAx = 500000001;
  const valAx = 500000002;
  return (
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n` +
    `<c:chartSpace xmlns:c="${NS.c}" xmlns:a="${NS.a}" xmlns:r="${NS.r}">` +
    `<c:roundedCorners val="0"/>` +
    `<c:chart>` +
    `<c:title>${richText(chart.title, 1400, true)}<c:overlay val="0"/></c:title>` +
    `<c:autoTitleDeleted val="0"/>` +
    `<c:plotArea><c:layout/>` +
    `<c:barChart><c:barDir val="col"/><c:grouping val="clustered"/><c:varyColors val="0"/>` +
    `<c:ser><c:idx val="0"/><c:order val="0"/>` +
    `<c:tx>${strRef(chart.seriesName)}</c:tx>` +
    `<c:spPr><a:solidFill><a:srgbClr val="4472C4"/></a:solidFill></c:spPr>` +
    `<c:invertIfNegative val="0"/>` +
    `<c:errBars><c:errDir val="y"/><c:errBarType val="both"/><c:errValType val="cust"/><c:noEndCap val="0"/>` +
    `<c:plus>${numRef(chart.plus, chart.valueFormat)}</c:plus>` +
    `<c:minus>${numRef(chart.minus, chart.valueFormat)}</c:minus>` +
    `<c:spPr><a:ln w="12700"><a:solidFill><a:srgbClr val="000000"/></a:solidFill></a:ln></c:spPr>` +
    `</c:errBars>` +
    `<c:cat>${strRef(chart.categories)}</c:cat>` +
    `<c:val>${numRef(chart.values, chart.valueFormat)}</c:val>` +
    `</c:ser>` +
    `<c:gapWidth val="80"/>` +
    `<c:axId val="${catAx}"/><c:axId val="${valAx}"/>` +
    `</c:barChart>` +
    `<c:catAx><c:axId val="${catAx}"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/>` +
    `<c:axPos val="b"/><c:numFmt formatCode="General" sourceLinked="0"/><c:majorTickMark val="out"/>` +
    `<c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/><c:crossAx val="${valAx}"/><c:crosses val="autoZero"/>` +
    `<c:auto val="1"/><c:lblAlgn val="ctr"/><c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>` +
    `<c:valAx><c:axId val="${valAx}"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/>` +
    `<c:axPos val="l"/><c:majorGridlines/><c:numFmt formatCode="${xmlText(chart.valueFormat)}" sourceLinked="0"/>` +
    `<c:majorTickMark val="out"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>` +
    `<c:crossAx val="${catAx}"/><c:crosses val="autoZero"/><c:crossBetween val="between"/></c:valAx>` +
    `</c:plotArea>` +
    `<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/>` +
    `</c:chart>` +
    `</c:chartSpace>`
  );
}

function graphicFrame(chart: PlacedBarChart, id: number, relId: string): string {
  const { col, row, cols, rows } = chart.at;
  return (
    `<xdr:twoCellAnchor editAs="oneCell">` +
    `<xdr:from><xdr:col>${col}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>${row}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>` +
    `<xdr:to><xdr:col>${col + cols}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>${row + rows}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>` +
    `<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="${id}" name="Chart ${id}" descr="${xmlText(chart.title)}"/>` +
    `<xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>` +
    `<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>` +
    `<a:graphic><a:graphicData uri="${NS.c}"><c:chart xmlns:c="${NS.c}" xmlns:r="${NS.r}" r:id="${relId}"/></a:graphicData></a:graphic>` +
    `</xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor>`
  );
}

/** Resolve a relationship target against the folder of the part that holds the relationship. */
function resolveTarget(fromPart: string, target: string): string {
  if (target.startsWith('/')) return target.slice(1);
  const parts = fromPart.split('/').slice(0, -1);
  for (const seg of target.split('/')) {
    if (seg === '..') parts.pop();
    else if (seg !== '.') parts.push(seg);
  }
  return parts.join('/');
}

function relsPathOf(part: string): string {
  const i = part.lastIndexOf('/');
  return `${part.slice(0, i)}/_rels/${part.slice(i + 1)}.rels`;
}

/** A package's relationships file as an appendable list. */
class Rels {
  private constructor(
    private xml: string,
    readonly path: string,
  ) {}
  static async open(zip: JSZip, part: string): Promise<Rels> {
    const path = relsPathOf(part);
    const xml =
      (await zip.file(path)?.async('string')) ??
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="${NS.pkgRels}"></Relationships>`;
    return new Rels(xml, path);
  }
  list(): { id: string; type: string; target: string }[] {
    return [...this.xml.matchAll(/<Relationship\b[^>]*>/g)].map((m) => ({
      id: attr(m[0], 'Id') ?? '',
      type: attr(m[0], 'Type') ?? '',
      target: attr(m[0], 'Target') ?? '',
    }));
  }
  add(type: string, target: string): string {
    const ids = new Set(this.list().map((r) => r.id));
    let n = ids.size + 1;
    while (ids.has(`rId${n}`)) n++;
    const id = `rId${n}`;
    const rel = `<Relationship Id="${id}" Type="${type}" Target="${xmlText(target)}"/>`;
    this.xml = this.xml.replace(/<\/Relationships>\s*$/, `${rel}</Relationships>`);
    if (!this.xml.includes(rel))
      this.xml = this.xml.replace(/<Relationships([^>]*)\/>/, `<Relationships$1>${rel}</Relationships>`);
    return id;
  }
  save(zip: JSZip): void {
    zip.file(this.path, this.xml);
  }
}

function freeName(zip: JSZip, folder: string, stem: string): { path: string; n: number } {
  let n = 1;
  while (zip.file(`${folder}/${stem}${n}.xml`)) n++;
  return { path: `${folder}/${stem}${n}.xml`, n };
}

/** The worksheet elements that must come after <drawing> (CT_Worksheet's sequence). */
const AFTER_DRAWING = [
  '<legacyDrawing',
  '<legacyDrawingHF',
  '<drawingHF',
  '<picture',
  '<oleObjects',
  '<controls',
  '<webPublishItems',
  '<tableParts',
  '<extLst',
  '</worksheet>',
];

function insertDrawingElement(sheetXml: string, relId: string): string {
  const el = `<drawing r:id="${relId}"/>`;
  const at = AFTER_DRAWING.map((tag) => sheetXml.indexOf(tag)).filter((i) => i >= 0);
  const i = Math.min(...at);
  let xml = `${sheetXml.slice(0, i)}${el}${sheetXml.slice(i)}`;
  if (!/<worksheet\b[^>]*\sxmlns:r=/.test(xml))
    xml = xml.replace(/<worksheet\b/, `<worksheet xmlns:r="${NS.r}"`);
  return xml;
}

async function sheetParts(zip: JSZip): Promise<Map<string, string>> {
  const workbook = (await zip.file('xl/workbook.xml')?.async('string')) ?? '';
  const rels = (await Rels.open(zip, 'xl/workbook.xml')).list();
  const parts = new Map<string, string>();
  for (const m of workbook.matchAll(/<sheet\b[^>]*>/g)) {
    const name = attr(m[0], 'name');
    const rid = attr(m[0], 'r:id');
    const rel = rels.find((r) => r.id === rid);
    if (name !== undefined && rel) parts.set(name, resolveTarget('xl/workbook.xml', rel.target));
  }
  return parts;
}

/**
 * exceljs writes editAs on xdr:oneCellAnchor (its image anchors), an attribute the schema gives only to
 * twoCellAnchor: strict readers (openpyxl) then drop the whole drawing, charts included.
 */
async function repairImageAnchors(zip: JSZip): Promise<void> {
  for (const path of Object.keys(zip.files).filter((p) => /^xl\/drawings\/drawing\d+\.xml$/.test(p))) {
    const xml = await zip.file(path)!.async('string');
    zip.file(path, xml.replace(/<xdr:oneCellAnchor\s+editAs="[^"]*"\s*>/g, '<xdr:oneCellAnchor>'));
  }
}

/**
 * Finishes a package exceljs wrote: repairs its image anchors and adds the charts. Returns the new package,
 * deflated (exceljs may write it stored, since it is compressed here).
 */
export async function finishPackage(xlsx: Buffer | Uint8Array, charts: PlacedBarChart[]): Promise<Buffer> {
  const zip = await JSZip.loadAsync(xlsx);
  await repairImageAnchors(zip);
  const parts = await sheetParts(zip);
  let contentTypes = (await zip.file('[Content_Types].xml')?.async('string')) ?? '';
  const override = (part: string, type: string) => {
    contentTypes = contentTypes.replace(
      /<\/Types>\s*$/,
      `<Override PartName="/${part}" ContentType="${type}"/></Types>`,
    );
  };

  const bySheet = new Map<string, PlacedBarChart[]>();
  for (const c of charts) bySheet.set(c.sheet, [...(bySheet.get(c.sheet) ?? []), c]);

  for (const [sheet, sheetCharts] of bySheet) {
    const sheetPart = parts.get(sheet);
    if (!sheetPart)
      throw new Error(`native chart on sheet ${JSON.stringify(sheet)}, which the workbook lacks`);
    const sheetRels = await Rels.open(zip, sheetPart);
    const existing = sheetRels.list().find((r) => r.type === REL_DRAWING);
    let drawingPart: string;
    let drawingXml: string;
    if (existing) {
      // exceljs drew the images of this sheet: the chart frames join that drawing (a sheet has one).
      drawingPart = resolveTarget(sheetPart, existing.target);
      drawingXml = (await zip.file(drawingPart)?.async('string')) ?? '';
    } else {
      drawingPart = freeName(zip, 'xl/drawings', 'drawing').path;
      drawingXml =
        `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n` +
        `<xdr:wsDr xmlns:xdr="${NS.xdr}" xmlns:a="${NS.a}"></xdr:wsDr>`;
      const relId = sheetRels.add(REL_DRAWING, `../drawings/${drawingPart.split('/').pop()}`);
      sheetRels.save(zip);
      const sheetXml = (await zip.file(sheetPart)?.async('string')) ?? '';
      zip.file(sheetPart, insertDrawingElement(sheetXml, relId));
      override(drawingPart, TYPE_DRAWING);
    }
    if (!/<xdr:wsDr\b[^>]*\sxmlns:a=/.test(drawingXml)) {
      drawingXml = drawingXml.replace(/<xdr:wsDr\b/, `<xdr:wsDr xmlns:a="${NS.a}"`);
    }
    const drawingRels = await Rels.open(zip, drawingPart);
    let nextId = Math.max(
      0,
      ...[...drawingXml.matchAll(/<xdr:cNvPr\b[^>]*\sid="(\d+)"/g)].map((m) => Number(m[1])),
    );
    let frames = '';
    for (const chart of sheetCharts) {
      const { path: chartPart } = freeName(zip, 'xl/charts', 'chart');
      zip.file(chartPart, barChartXml(chart));
      override(chartPart, TYPE_CHART);
      const relId = drawingRels.add(REL_CHART, `../charts/${chartPart.split('/').pop()}`);
      frames += graphicFrame(chart, ++nextId, relId);
    }
    drawingRels.save(zip);
    zip.file(drawingPart, drawingXml.replace(/<\/xdr:wsDr>\s*$/, `${frames}</xdr:wsDr>`));
  }
  zip.file('[Content_Types].xml', contentTypes);
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 6 } });
}
