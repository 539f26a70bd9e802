/**
 * A table of rows with a CSV export of exactly what it shows. Columns give both the cell
 * (localized) and the CSV value (machine-readable), so money exports as 2.50, not "2,50 €".
 */
import type { ReactNode } from 'react'
import { useTranslation } from 'react-i18next'
import { downloadCsv, toCsv } from '../csv.ts'

export interface Column<T> {
  key: string
  header: string
  cell: (row: T) => ReactNode
  csv?: (row: T) => string | number | boolean | null | undefined
  numeric?: boolean
  /** In the CSV only (e.g. an id next to the name shown). */
  csvOnly?: boolean
}

export function DataTable<T>(props: {
  rows: readonly T[]
  columns: readonly Column<T>[]
  rowKey: (row: T) => string
  csvName?: string
  testId?: string
  rowClass?: (row: T) => string
  rowProps?: (row: T) => Record<string, string>
  footer?: ReactNode
  empty?: string
  caption?: ReactNode
}) {
  const { t } = useTranslation('admin')
  const { rows, csvName } = props
  const columns = props.columns.filter((c) => !c.csvOnly)
  const exportCsv = () => {
    const csvCols = props.columns.filter((c) => c.csv !== undefined).map((c) => ({ header: c.key, value: c.csv! }))
    downloadCsv(`${csvName}.csv`, toCsv(rows, csvCols))
  }
  return (
    <div className="adm-table-wrap" data-testid={props.testId}>
      {(props.caption !== undefined || csvName !== undefined) && (
        <div className="adm-table-head">
          <div>{props.caption}</div>
          {csvName !== undefined ? (
            <button type="button" className="btn btn-small" onClick={exportCsv} disabled={rows.length === 0} data-testid="csv">
              ⬇ {t('common.csv')}
            </button>
          ) : null}
        </div>
      )}
      <table className="adm-table">
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.key} className={c.numeric ? 'num' : undefined}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={columns.length} className="adm-empty">
                {props.empty ?? t('common.empty')}
              </td>
            </tr>
          ) : (
            rows.map((r) => (
              <tr key={props.rowKey(r)} className={props.rowClass?.(r)} {...(props.rowProps?.(r) ?? {})}>
                {columns.map((c) => (
                  <td key={c.key} className={c.numeric ? 'num' : undefined}>
                    {c.cell(r)}
                  </td>
                ))}
              </tr>
            ))
          )}
        </tbody>
        {props.footer}
      </table>
    </div>
  )
}
