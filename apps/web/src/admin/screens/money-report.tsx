/**
 * The money report (issue 16), under the sales on the reports screen: per day what was
 * sold, refunded (its own column and total: refunds subtract), the discounts given and
 * the tax inside the takings; then the tax collected per VAT rate. Figures are the
 * projection's (`/reports/money`), computed once by @tally/schema pricing.ts.
 */
import { useTranslation } from 'react-i18next'
import { useAdmin } from '../admin-context.ts'
import { centsToCsv } from '../csv.ts'
import type { MoneyDay, MoneyReport, TaxRateRow } from '@tally/schema'
import { formatRate } from '../format.ts'
import { DataTable, type Column } from '../ui/data-table.tsx'
import { ErrorBanner } from '../ui/error-banner.tsx'
import { Money } from '../ui/money.tsx'
import { useLoad } from '../ui/use-load.ts'

export function MoneyReportView({ range, refresh }: { range: Record<string, string>; refresh: unknown }) {
  const { t, i18n } = useTranslation('admin')
  const { api } = useAdmin()
  const report = useLoad(() => api.get<MoneyReport>('/reports/money', range), [JSON.stringify(range), refresh])
  const money = (k: keyof Omit<MoneyDay, 'day' | 'tickets' | 'refundTickets'>): Column<MoneyDay> => ({
    key: k,
    header: t(`money.${k}`),
    numeric: true,
    cell: (r) => <Money cents={r[k]} />,
    csv: (r) => centsToCsv(r[k]),
  })
  const columns: Column<MoneyDay>[] = [
    { key: 'day', header: t('money.day'), cell: (r) => r.day, csv: (r) => r.day },
    { key: 'tickets', header: t('money.tickets'), numeric: true, cell: (r) => r.tickets, csv: (r) => r.tickets },
    money('sales'),
    { key: 'refundTickets', header: t('money.refundTickets'), numeric: true, cell: (r) => r.refundTickets, csv: (r) => r.refundTickets },
    money('refunds'),
    money('total'),
    money('discounts'),
    money('tax'),
    money('net'),
  ]
  const rateColumns: Column<TaxRateRow>[] = [
    { key: 'rate', header: t('money.rate'), cell: (r) => formatRate(r.rate, i18n.language), csv: (r) => r.rate },
    { key: 'total', header: t('money.total'), numeric: true, cell: (r) => <Money cents={r.total} />, csv: (r) => centsToCsv(r.total) },
    { key: 'net', header: t('money.net'), numeric: true, cell: (r) => <Money cents={r.net} />, csv: (r) => centsToCsv(r.net) },
    { key: 'tax', header: t('money.tax'), numeric: true, cell: (r) => <Money cents={r.tax} />, csv: (r) => centsToCsv(r.tax) },
  ]
  const totals = report.data?.totals
  const rows = report.data?.rows ?? []
  const issues = report.data?.refundIssues ?? []
  return (
    <>
      <ErrorBanner error={report.error} />
      {issues.length > 0 && (
        <div className="adm-note" role="alert" data-testid="refund-issues">
          <b>{t('money.refundIssues', { count: issues.length })}</b>
          <ul>
            {issues.map((i) => (
              <li key={`${i.refundOf}-${i.productId ?? ''}`} data-reason={i.reason}>
                {t(`money.issue.${i.reason}`, { ticket: i.refundOf.slice(-6), sold: i.sold ?? 0, refunded: i.refunded, refunds: i.refunds.map((r) => r.slice(-6)).join(', ') })}
              </li>
            ))}
          </ul>
        </div>
      )}
      <DataTable
        rows={rows}
        columns={columns}
        rowKey={(r) => r.day}
        csvName={`money-${range.from ?? ''}-${range.to ?? ''}`}
        testId="money-report"
        rowProps={(r) => ({ 'data-day': r.day, 'data-total': String(r.total), 'data-refunds': String(r.refunds), 'data-tax': String(r.tax), 'data-discounts': String(r.discounts) })}
        caption={<h2>{t('money.title')}</h2>}
        empty={report.loading ? t('common.loading') : t('money.none')}
        footer={
          totals && rows.length > 0 ? (
            <tfoot data-testid="money-totals" data-total={totals.total} data-refunds={totals.refunds} data-tax={totals.tax} data-discounts={totals.discounts}>
              <tr>
                <th>{t('reports.totals')}</th>
                <td className="num">{totals.tickets}</td>
                <td className="num"><Money cents={totals.sales} /></td>
                <td className="num">{totals.refundTickets}</td>
                <td className="num"><Money cents={totals.refunds} /></td>
                <td className="num"><Money cents={totals.total} /></td>
                <td className="num"><Money cents={totals.discounts} /></td>
                <td className="num"><Money cents={totals.tax} /></td>
                <td className="num"><Money cents={totals.net} /></td>
              </tr>
            </tfoot>
          ) : undefined
        }
      />
      <DataTable
        rows={report.data?.taxByRate ?? []}
        columns={rateColumns}
        rowKey={(r) => String(r.rate)}
        csvName={`tax-by-rate-${range.from ?? ''}-${range.to ?? ''}`}
        testId="tax-by-rate"
        rowProps={(r) => ({ 'data-rate': String(r.rate), 'data-tax': String(r.tax) })}
        caption={<h2>{t('money.taxTitle')}</h2>}
        empty={report.loading ? t('common.loading') : t('money.none')}
      />
    </>
  )
}
