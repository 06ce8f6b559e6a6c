/**
 * Text cells that a spreadsheet would read as a formula are neutralised (OWASP "CSV injection", ASVS 1.2.10):
 * a text starting with =, +, -, @, tab or carriage return gets a leading apostrophe. Only text: numbers stay
 * numbers (a negative difference is a number cell, never touched). The csv and xlsx writers both call this.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function neutralise(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}
