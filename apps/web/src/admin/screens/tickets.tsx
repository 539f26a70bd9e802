/**
 * Tickets as projected: filter by terminal, status and day; one ticket's lines, verdict
 * reasons and conflicts; void with a reason (written to the ticket document through the
 * log, so reports, stock and the terminal all follow).
 */
import { useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { useAdmin } from '../admin-context.ts'
import { centsToCsv } from '../csv.ts'
import { dayStartIso, formatDateTime, localDay } from '../format.ts'
import { hrefFor, navigate } from '../router.ts'
import { listOf, type Ticket, type TicketDetail } from '../types.ts'
import { DataTable, type Column } from '../ui/data-table.tsx'
import { ErrorBanner } from '../ui/error-banner.tsx'
import { Money } from '../ui/money.tsx'
import { useLoad } from '../ui/use-load.ts'
import { useThrottled } from '../ui/use-throttled.ts'

const STATUSES = ['', 'accepted', 'review', 'refused', 'voided'] as const

export function TicketsScreen({ selected }: { selected: string | null }) {
  const { t, i18n } = useTranslation('admin')
  const { api, live } = useAdmin()
  const [terminal, setTerminal] = useState('')
  const [status, setStatus] = useState<(typeof STATUSES)[number]>('')
  const [day, setDay] = useState(() => localDay(new Date()))
  const head = useThrottled(live.data?.projection.checkpoint ?? 0, 1500)
  const list = useLoad(
    () => api.get<unknown>('/tickets', { terminal, status, from: day ? dayStartIso(day) : '', to: day ? dayStartIso(day, 1) : '', limit: 500 }).then((v) => listOf<Ticket>(v, 'tickets')),
    [terminal, status, day, head],
  )
  const state = (r: Ticket) => (r.voided ? 'voided' : r.status)
  const columns: Column<Ticket>[] = [
    { key: 'clientTime', header: t('tickets.time'), cell: (r) => formatDateTime(r.clientTime, i18n.language), csv: (r) => r.clientTime },
    { key: 'terminal', header: t('dashboard.terminal'), cell: (r) => r.terminalId, csv: (r) => r.terminalId },
    { key: 'payment', header: t('reports.by.payment'), cell: (r) => t(`payment.${r.paymentMethod}`, { defaultValue: r.paymentMethod }), csv: (r) => r.paymentMethod },
    { key: 'status', header: t('dashboard.state'), cell: (r) => <span className={`adm-pill ${state(r) === 'accepted' ? 'ok' : state(r) === 'voided' ? 'off' : state(r) === 'review' ? 'warn' : 'danger'}`}>{t(`tickets.status.${state(r)}`)}</span>, csv: state },
    { key: 'total', header: t('reports.total'), numeric: true, cell: (r) => <Money cents={r.total} />, csv: (r) => centsToCsv(r.total) },
    {
      key: 'id',
      header: 'ID',
      cell: (r) => (
        <a
          href={hrefFor('tickets', r.id)}
          onClick={(e) => {
            e.preventDefault()
            navigate(hrefFor('tickets', r.id))
          }}
        >
          <code className="adm-id">…{r.id.slice(-8)}</code>
        </a>
      ),
      csv: (r) => r.id,
    },
  ]
  return (
    <section data-testid="tickets">
      <h1>{t('nav.tickets')}</h1>
      <div className="adm-toolbar">
        <label className="adm-inline">
          {t('tickets.day')}
          <input className="input input-small" type="date" value={day} onChange={(e) => setDay(e.target.value)} />
        </label>
        <select className="input input-small adm-auto" value={terminal} onChange={(e) => setTerminal(e.target.value)} aria-label={t('dashboard.terminal')}>
          <option value="">{t('tickets.anyTerminal')}</option>
          {(live.data?.terminals ?? []).map((x) => (
            <option key={x.terminalId} value={x.terminalId}>
              {x.terminalId}
            </option>
          ))}
        </select>
        <select className="input input-small adm-auto" value={status} onChange={(e) => setStatus(e.target.value as (typeof STATUSES)[number])} aria-label={t('dashboard.state')}>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s === '' ? t('tickets.anyStatus') : t(`tickets.status.${s}`)}
            </option>
          ))}
        </select>
      </div>
      <ErrorBanner error={list.error} />
      {selected !== null ? <TicketView key={selected} id={selected} onChanged={list.reload} /> : null}
      <DataTable
        rows={list.data ?? []}
        columns={columns}
        rowKey={(r) => r.id}
        csvName={`tickets-${day}`}
        testId="tickets-table"
        rowClass={(r) => (r.voided ? 'adm-row-muted' : r.status === 'refused' ? 'adm-row-danger' : '')}
        rowProps={(r) => ({ 'data-ticket-id': r.id, 'data-state': state(r) })}
        empty={list.loading ? t('common.loading') : t('tickets.none')}
      />
    </section>
  )
}

function TicketView({ id, onChanged }: { id: string; onChanged: () => void }) {
  const { t, i18n } = useTranslation('admin')
  const { api } = useAdmin()
  const tk = useLoad(() => api.get<TicketDetail>(`/tickets/${encodeURIComponent(id)}`), [id])
  const [reason, setReason] = useState('')
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  if (tk.error) return <ErrorBanner error={tk.error} />
  if (tk.data === null) return <p className="loading">{t('common.loading')}</p>
  const d = tk.data
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (!confirm(t('tickets.voidConfirm'))) return
    setBusy(true)
    setError(null)
    try {
      await api.post(`/tickets/${encodeURIComponent(id)}/void`, { reason: reason.trim() })
      tk.reload()
      onChanged()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return (
    <article className="adm-card adm-form" data-testid="ticket-detail">
      <h2>
        {t('tickets.ticket')} <code className="adm-id">{d.id}</code>
      </h2>
      <p className="hint">
        {d.terminalId} · {d.cashier || '—'} · {formatDateTime(d.clientTime, i18n.language)} · {t(`payment.${d.paymentMethod}`, { defaultValue: d.paymentMethod })}
        {d.bracelet ? ` · ${d.bracelet}` : ''}
      </p>
      <table className="adm-table adm-table-compact">
        <tbody>
          {d.lines.map((l) => (
            <tr key={l.lineId}>
              <td className="num">{l.qty} ×</td>
              <td>{l.name}</td>
              <td className="num">
                <Money cents={l.unitPrice} />
              </td>
              <td className="num">
                <Money cents={l.total} />
              </td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <td colSpan={3}>{t('reports.total')}</td>
            <td className="num">
              <Money cents={d.total} />
            </td>
          </tr>
        </tfoot>
      </table>
      {d.reasons.length > 0 ? (
        <ul className="adm-alerts">
          {d.reasons.map((r, i) => (
            <li key={i} className="adm-alert adm-alert-warning">
              <code>{r.code}</code> {r.message}
            </li>
          ))}
        </ul>
      ) : null}
      {d.voided ? (
        <p className="adm-note">{t('tickets.isVoided')}</p>
      ) : (
        <form onSubmit={submit} className="adm-form-row">
          <label className="adm-field adm-grow">
            <span>{t('tickets.voidReason')}</span>
            <input className="input" required maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} data-testid="void-reason" />
          </label>
          <button type="submit" className="btn" disabled={busy || reason.trim() === ''} data-testid="void">
            {t('tickets.void')}
          </button>
        </form>
      )}
      <ErrorBanner error={error} />
    </article>
  )
}
