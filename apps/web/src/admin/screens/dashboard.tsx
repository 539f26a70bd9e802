/**
 * The live dashboard: everything comes from the /api/v1/live push (no polling); a local
 * one-second clock only re-renders "last seen N s ago" between pushes.
 */
import { useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { useAdmin } from '../admin-context.ts'
import { recogniseAlert } from '../alerts.ts'
import { formatAgo, formatDateTime, secondsSince } from '../format.ts'
import { lagText } from '../labels.ts'
import { hrefFor, navigate } from '../router.ts'
import type { TerminalStatus } from '../types.ts'
import { DataTable, type Column } from '../ui/data-table.tsx'

function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now())
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), ms)
    return () => clearInterval(id)
  }, [ms])
  return now
}

export function DashboardScreen() {
  const { t, i18n } = useTranslation('admin')
  const { live } = useAdmin()
  const now = useNow(1000)
  const d = live.data
  if (d === null) {
    return (
      <section>
        <h1>{t('nav.dashboard')}</h1>
        <p className="loading" data-testid="dashboard-waiting">
          {t('dashboard.waiting')}
        </p>
      </section>
    )
  }
  const online = d.terminals.filter((x) => x.connected).length
  // Pending is what each terminal says it holds; one that has not reported is not a 0.
  const pending = d.terminals.reduce((s, x) => s + (x.pending ?? 0), 0)
  const unreported = d.terminals.filter((x) => x.pending === null).length
  const lag = d.projection
  const lagBad = lag.lagRows > 0 && lag.lagSeconds > 30
  const lagSays = lagText(lag, t, i18n.language)
  const lang = i18n.language
  const columns: Column<TerminalStatus>[] = [
    {
      key: 'terminal',
      header: t('dashboard.terminal'),
      cell: (r) => (
        <a
          href={hrefFor('terminals', r.terminalId)}
          onClick={(e) => {
            e.preventDefault()
            navigate(hrefFor('terminals', r.terminalId))
          }}
        >
          {r.terminalId}
        </a>
      ),
      csv: (r) => r.terminalId,
    },
    {
      key: 'connected',
      header: t('dashboard.state'),
      cell: (r) => <span className={r.connected ? 'adm-pill ok' : 'adm-pill off'}>{r.connected ? t('dashboard.online') : t('dashboard.offline')}</span>,
      csv: (r) => r.connected,
    },
    {
      key: 'lastSeen',
      header: t('dashboard.lastContact'),
      cell: (r) => {
        const at = r.lastContact ?? r.lastSeen
        return <span title={formatDateTime(at, lang)}>{r.connected ? t('dashboard.now') : formatAgo(secondsSince(at, now), lang)}</span>
      },
      csv: (r) => r.lastContact ?? r.lastSeen,
    },
    {
      key: 'pending',
      header: t('dashboard.pending'),
      numeric: true,
      cell: (r) =>
        r.pending === null ? (
          <span className="hint">{t('dashboard.notReported')}</span>
        ) : (
          <span className={r.pending > 10 ? 'adm-warn-text' : undefined} title={r.reportedAt ? t('dashboard.reportedAgo', { ago: formatAgo(secondsSince(r.reportedAt, now), lang) }) : undefined}>
            {r.pending}
          </span>
        ),
      csv: (r) => r.pending,
    },
    {
      key: 'pendingChanges',
      header: t('dashboard.pendingChanges'),
      numeric: true,
      cell: (r) => (r.pendingChanges === null || r.pendingChanges === undefined ? '—' : r.pendingChanges),
      csv: (r) => r.pendingChanges ?? null,
    },
    { key: 'lastError', header: t('dashboard.lastError'), cell: (r) => (r.lastError ? <span className="adm-danger-text">{r.lastError}</span> : '—'), csv: (r) => r.lastError },
  ]
  return (
    <section data-testid="dashboard">
      <h1>{t('nav.dashboard')}</h1>
      <div className="adm-cards">
        <Card label={t('dashboard.terminalsOnline')} value={`${online} / ${d.terminals.length}`} testId="card-online" tone={online < d.terminals.length ? 'warn' : 'ok'} />
        <Card
          label={t('dashboard.pendingTotal')}
          value={String(pending)}
          {...(unreported > 0 ? { sub: t('dashboard.pendingTotalSub', { unknown: unreported }) } : {})}
          testId="card-pending"
          tone={pending > 10 ? 'warn' : 'ok'}
        />
        <Card
          label={t('dashboard.lag')}
          value={lagSays.text}
          sub={lagSays.upToDate ? t('dashboard.upToDateSub') : t('dashboard.lagSub')}
          testId="card-lag"
          tone={lagBad ? 'warn' : 'ok'}
        />
        <Card
          label={t('dashboard.openConflicts')}
          value={String(d.openConflicts)}
          testId="card-conflicts"
          tone={d.openConflicts > 0 ? 'danger' : 'ok'}
          onClick={() => navigate(hrefFor('conflicts'))}
        />
      </div>
      <h2>{t('dashboard.alerts')}</h2>
      {d.alerts.length === 0 ? (
        <p className="hint" data-testid="alerts-none">
          {t('dashboard.noAlerts')}
        </p>
      ) : (
        <ul className="adm-alerts" data-testid="alerts">
          {d.alerts.map((a, i) => {
            const known = recogniseAlert(a.message)
            const screen = known?.screen ?? null
            return (
              <li key={i} className={`adm-alert adm-alert-${a.level}`} data-level={a.level} title={a.message}>
                <b>{t(`dashboard.level.${a.level}`, { defaultValue: a.level })}</b> {known ? t(`alert.${known.key}`, known.params) : a.message}
                {screen !== null ? (
                  <a
                    href={hrefFor(screen)}
                    className="adm-alert-link"
                    onClick={(e) => {
                      e.preventDefault()
                      navigate(hrefFor(screen))
                    }}
                  >
                    {t(`nav.${screen}`)} →
                  </a>
                ) : null}
              </li>
            )
          })}
        </ul>
      )}
      <h2>{t('dashboard.terminals')}</h2>
      <DataTable
        rows={d.terminals}
        columns={columns}
        rowKey={(r) => r.terminalId}
        csvName="terminals"
        testId="terminals-table"
        rowProps={(r) => ({
          'data-terminal': r.terminalId,
          'data-connected': String(r.connected),
          'data-pending': String(r.pending),
          'data-pending-changes': String(r.pendingChanges ?? null),
        })}
        empty={t('dashboard.noTerminals')}
      />
      {d.hubs && d.hubs.length > 0 ? (
        <>
          <h2>{t('dashboard.hubs')}</h2>
          <table className="adm-table" data-testid="hubs-table">
            <thead>
              <tr>
                <th>{t('dashboard.hub')}</th>
                <th>{t('dashboard.state')}</th>
                <th>{t('dashboard.hubBehind')}</th>
                <th>{t('dashboard.lastContact')}</th>
              </tr>
            </thead>
            <tbody>
              {d.hubs.map((h) => (
                <tr key={h.hub} data-hub={h.hub} data-connected={String(h.connected)} data-rows-behind={String(h.rowsBehind)}>
                  <td>{h.hub}</td>
                  <td>
                    <span className={h.connected ? 'adm-pill ok' : 'adm-pill off'}>{h.connected ? t('dashboard.hubLinked') : t('dashboard.hubDown')}</span>
                  </td>
                  <td>{h.rowsBehind === null ? <span className="hint">{t('dashboard.notReported')}</span> : t('dashboard.hubLag', { rows: h.rowsBehind, seconds: h.secondsBehind ?? 0 })}</td>
                  <td>{h.lastContact ? <span title={formatDateTime(h.lastContact, lang)}>{formatAgo(secondsSince(h.lastContact, now), lang)}</span> : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
      <p className="hint" data-testid="live-at">
        {live.at !== null ? t('dashboard.updated', { ago: formatAgo(secondsSince(new Date(live.at).toISOString(), now), lang) }) : null}
      </p>
    </section>
  )
}

function Card(props: { label: string; value: string; sub?: string; testId: string; tone: 'ok' | 'warn' | 'danger'; onClick?: () => void }) {
  const body = (
    <>
      <span className="adm-card-label">{props.label}</span>
      <span className="adm-card-value" data-testid={`${props.testId}-value`}>
        {props.value}
      </span>
      {props.sub !== undefined ? <span className="adm-card-sub">{props.sub}</span> : null}
    </>
  )
  return props.onClick ? (
    <button type="button" className={`adm-card adm-stat ${props.tone}`} data-testid={props.testId} onClick={props.onClick}>
      {body}
    </button>
  ) : (
    <div className={`adm-card adm-stat ${props.tone}`} data-testid={props.testId}>
      {body}
    </div>
  )
}
