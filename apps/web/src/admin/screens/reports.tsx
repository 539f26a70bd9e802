/**
 * Sales by day, hour, product, terminal or payment method (accepted, non-voided tickets,
 * as projected) with a chart and a CSV of the table; visit consumption below. Days and
 * hours are the browser's: the screen sends its zone (`tz`) and date-only bounds, which
 * the API reads as local midnights there, and says which zone the figures are in.
 */
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { useAdmin } from '../admin-context.ts'
import { centsToCsv } from '../csv.ts'
import { formatDateTime, localDay } from '../format.ts'
import { SALES_BY, listOf, type SalesBy, type SalesReport, type SalesRow, type VisitReportRow } from '../types.ts'
import { DataTable, type Column } from '../ui/data-table.tsx'
import { ErrorBanner } from '../ui/error-banner.tsx'
import { Money } from '../ui/money.tsx'
import { useLoad } from '../ui/use-load.ts'
import { useThrottled } from '../ui/use-throttled.ts'
import { browserTimeZone, hourLabels, nextDay } from './report-time.ts'
import { MoneyReportView } from './money-report.tsx'
import { SalesChart } from './sales-chart.tsx'

export function ReportsScreen() {
  const { t, i18n } = useTranslation('admin')
  const { api, live } = useAdmin()
  const [by, setBy] = useState<SalesBy>('day')
  const [from, setFrom] = useState(() => localDay(new Date(Date.now() - 6 * 86_400_000)))
  const [to, setTo] = useState(() => localDay(new Date()))
  const tz = browserTimeZone()
  // `to` is exclusive on the API: the day after the last one shown.
  const range = { from, to: nextDay(to), ...(tz ? { tz } : {}) }
  // A projection batch (pushed on the live feed) may change the figures: refetch then.
  const head = useThrottled(live.data?.projection.checkpoint ?? 0, 1500)
  const sales = useLoad(() => api.get<SalesReport>('/reports/sales', { by, ...range }), [by, from, to, head])
  const visits = useLoad(() => api.get<unknown>('/reports/visits', range).then((v) => listOf<VisitReportRow>(v, 'visits')), [from, to, head])
  const lang = i18n.language
  const rows = sales.data?.rows ?? []
  const zone = sales.data?.tz ?? tz ?? 'UTC'
  const hours = by === 'hour' ? hourLabels(rows.map((r) => r.key), lang, zone) : new Map<string, string>()
  const label = (r: SalesRow) => (by === 'payment' ? t(`payment.${r.key}`, { defaultValue: r.key }) : by === 'hour' ? (hours.get(r.key) ?? r.key) : r.label || r.key || '—')

  const totals = sales.data?.totals
  const columns: Column<SalesRow>[] = [
    { key: by, header: t(`reports.by.${by}`), cell: (r) => label(r), csv: (r) => r.key },
    ...(by === 'product' ? [{ key: 'name', header: '', csvOnly: true, cell: () => null, csv: (r: SalesRow) => r.label ?? '' }] : []),
    { key: 'tickets', header: t('reports.tickets'), numeric: true, cell: (r) => r.tickets, csv: (r) => r.tickets },
    { key: 'units', header: t('reports.units'), numeric: true, cell: (r) => r.units, csv: (r) => r.units },
    { key: 'total', header: t('reports.total'), numeric: true, cell: (r) => <Money cents={r.total} />, csv: (r) => centsToCsv(r.total) },
  ]
  const visitColumns: Column<VisitReportRow>[] = [
    { key: 'partner', header: t('visits.partner'), cell: (r) => r.partner, csv: (r) => r.partner },
    { key: 'entryAt', header: t('visits.entry'), cell: (r) => formatDateTime(r.entryAt, lang), csv: (r) => r.entryAt },
    { key: 'exitAt', header: t('visits.exit'), cell: (r) => (r.exitAt ? formatDateTime(r.exitAt, lang) : <span className="adm-pill ok">{t('visits.open')}</span>), csv: (r) => r.exitAt },
    { key: 'tickets', header: t('reports.tickets'), numeric: true, cell: (r) => r.tickets, csv: (r) => r.tickets },
    { key: 'consumed', header: t('visits.consumed'), numeric: true, cell: (r) => <Money cents={r.consumed} />, csv: (r) => centsToCsv(r.consumed) },
    { key: 'visitId', header: 'ID', cell: (r) => <code className="adm-id">{r.visitId.slice(-8)}</code>, csv: (r) => r.visitId },
  ]
  return (
    <section data-testid="reports">
      <h1>{t('nav.reports')}</h1>
      <div className="adm-toolbar">
        <label className="adm-inline">
          {t('reports.from')}
          <input className="input input-small" type="date" value={from} max={to} onChange={(e) => e.target.value && setFrom(e.target.value)} data-testid="report-from" />
        </label>
        <label className="adm-inline">
          {t('reports.to')}
          <input className="input input-small" type="date" value={to} min={from} onChange={(e) => e.target.value && setTo(e.target.value)} data-testid="report-to" />
        </label>
        <div className="adm-tabs" role="tablist">
          {SALES_BY.map((b) => (
            <button key={b} type="button" role="tab" aria-selected={by === b} className={by === b ? 'btn btn-small active' : 'btn btn-small'} onClick={() => setBy(b)} data-testid={`by-${b}`}>
              {t(`reports.by.${b}`)}
            </button>
          ))}
        </div>
        <span className="adm-inline" data-testid="report-tz" data-tz={zone}>
          {t('reports.timeZone', { tz: zone })}
        </span>
      </div>
      <ErrorBanner error={sales.error} />
      {totals ? (
        <div className="adm-cards">
          <div className="adm-card adm-stat ok">
            <span className="adm-card-label">{t('reports.total')}</span>
            <span className="adm-card-value">
              <Money cents={totals.total} testId="report-total" />
            </span>
          </div>
          <div className="adm-card adm-stat ok">
            <span className="adm-card-label">{t('reports.tickets')}</span>
            <span className="adm-card-value" data-testid="report-tickets" data-value={totals.tickets}>
              {totals.tickets}
            </span>
          </div>
          <div className="adm-card adm-stat ok">
            <span className="adm-card-label">{t('reports.units')}</span>
            <span className="adm-card-value" data-testid="report-units" data-value={totals.units}>
              {totals.units}
            </span>
          </div>
        </div>
      ) : null}
      {rows.length > 0 ? (
        <SalesChart labels={rows.map(label)} totals={rows.map((r) => r.total)} units={rows.map((r) => r.units)} lang={lang} totalLabel={t('reports.total')} unitsLabel={t('reports.units')} />
      ) : null}
      <DataTable
        rows={rows}
        columns={columns}
        rowKey={(r) => r.key}
        csvName={`sales-by-${by}-${from}-${to}`}
        testId="sales-table"
        rowProps={(r) => ({ 'data-key': r.key, 'data-total': String(r.total), 'data-units': String(r.units) })}
        caption={<h2>{t('reports.salesBy', { by: t(`reports.by.${by}`).toLowerCase() })}</h2>}
        empty={sales.loading ? t('common.loading') : t('reports.none')}
        footer={
          totals && rows.length > 0 ? (
            <tfoot>
              <tr>
                <th>{t('reports.totals')}</th>
                <td className="num">{totals.tickets}</td>
                <td className="num">{totals.units}</td>
                <td className="num">
                  <Money cents={totals.total} />
                </td>
              </tr>
            </tfoot>
          ) : undefined
        }
      />
      <MoneyReportView range={range} refresh={head} />
      <ErrorBanner error={visits.error} />
      <DataTable
        rows={visits.data ?? []}
        columns={visitColumns}
        rowKey={(r) => r.visitId}
        csvName={`visit-consumption-${from}-${to}`}
        testId="visits-report"
        caption={<h2>{t('reports.visitConsumption')}</h2>}
        empty={visits.loading ? t('common.loading') : t('reports.noVisits')}
      />
    </section>
  )
}
