/**
 * CSV cells, shared by the relay's report downloads and the back office's own export, so
 * both neutralise spreadsheet formulas the same way. A cell a spreadsheet would run as a
 * formula (text starting with = + - @, a tab or a carriage return: a product or cashier
 * name typed on a terminal reaches the owner's spreadsheet) gets a leading apostrophe,
 * which spreadsheets show as text. Numbers stay numbers, negative ones included, and so
 * does text that is just a number ("-12.50", an amount already formatted).
 */
export type CsvValue = string | number | boolean | bigint | Date | null | undefined

const FORMULA_START = /^[=+\-@\t\r]/
const PLAIN_NUMBER = /^-?\d+(?:\.\d+)?$/

/** The cell's text with formula neutralising, before CSV quoting. */
export function neutralizeFormula(v: CsvValue): string {
  if (v === null || v === undefined) return ''
  if (v instanceof Date) return v.toISOString()
  const s = String(v)
  if (typeof v !== 'string' || PLAIN_NUMBER.test(s)) return s
  return FORMULA_START.test(s) ? `'${s}` : s
}

/** One RFC 4180 cell: neutralised, then quoted when it holds a comma, quote or line break. */
export function csvCell(v: CsvValue): string {
  const s = neutralizeFormula(v)
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** A whole CSV document from a header and rows (CRLF line ends, as RFC 4180 says). */
export function csvLines(header: readonly CsvValue[], rows: ReadonlyArray<ReadonlyArray<CsvValue>>): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n'
}
