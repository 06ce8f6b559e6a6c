// svg-to-pdfkit ships no types; this declares the one call the PDF writer makes (its README's parameters).
declare module 'svg-to-pdfkit' {
  interface SvgToPdfOptions {
    width?: number;
    height?: number;
    preserveAspectRatio?: string;
    assumePt?: boolean;
    precision?: number;
    /** Picks the registered pdfkit font for an SVG text's font-family and weight (the name passed to doc.font). */
    fontCallback?: (family: string, bold: boolean, italic: boolean, options: { fauxBold: boolean }) => string;
    warningCallback?: (message: string) => void;
  }
  function SVGtoPDF(
    doc: PDFKit.PDFDocument,
    svg: string,
    x: number,
    y: number,
    options?: SvgToPdfOptions,
  ): void;
  export default SVGtoPDF;
}
