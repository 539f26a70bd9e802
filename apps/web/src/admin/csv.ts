/**
 * CSV export of what a table shows. Built on the device from the rows already loaded so
 * every table (reports, stock, audit...) exports the same way; `;` is not used because
 * RFC 4180 says comma, and spreadsheets in Spanish locales import it through the dialog.
 * Money columns are exported in euros with a dot (machine-readable), not localized.
 */
import { csvCell } from '@tally/schema'

/** Formula neutralising and quoting are the relay's too: one function (@tally/schema csv.ts). */
export { csvCell }

export interface CsvColumn<T> {
  header: string
  value: (row: T) => string | number | boolean | null | undefined
}

export function toCsv<T>(rows: readonly T[], columns: readonly CsvColumn<T>[]): string {
  const lines = [columns.map((c) => csvCell(c.header)).join(',')]
  for (const r of rows) lines.push(columns.map((c) => csvCell(c.value(r))).join(','))
  return lines.join('\r\n') + '\r\n'
}

export function centsToCsv(cents: number): string {
  const sign = cents < 0 ? '-' : ''
  const a = Math.abs(cents)
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`
}

export function downloadCsv(filename: string, text: string): void {
  // BOM so spreadsheet apps read UTF-8 (accents in product names).
  const blob = new Blob(['\ufeff', text], { type: 'text/csv;charset=utf-8' })
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}
