import { useRef } from 'react'
import { useTranslation } from 'react-i18next'
import { formatMoney } from './money.ts'
import { useOfflineReady } from './offline-ready.ts'
import { syncAlerts } from './sync-alerts.ts'
import { useNow, useTerminal } from './use-terminal.ts'

const startedAt = Date.now()

function ago(ms: number, t: (k: string, o?: Record<string, unknown>) => string): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 60) return t('status.secondsAgo', { count: s })
  const m = Math.round(s / 60)
  if (m < 60) return t('status.minutesAgo', { count: m })
  return t('status.hoursAgo', { count: Math.round(m / 60) })
}

/** How close the terminal is to the store's offline limits (issue 16); nothing when none are set. */
function PolicyGaugeView() {
  const term = useTerminal()
  const { t, i18n } = useTranslation()
  useNow(30_000)
  const g = term.policy
  if (g.maxOfflineMinutes === null && g.maxUnsyncedCents === null) return null
  const cls = g.worst >= 1 ? 'over' : g.worst >= 0.75 ? 'near' : ''
  return (
    <span className={`policy-gauge ${cls}`} data-testid="policy-gauge" data-worst={g.worst.toFixed(2)} data-offline-minutes={g.offlineMinutes} data-unsynced={g.unsyncedCents}>
      {g.maxOfflineMinutes !== null && g.offlineMinutes > 0 && <span>{t('staff.policy.offline', { minutes: g.offlineMinutes, max: g.maxOfflineMinutes })} </span>}
      {g.maxUnsyncedCents !== null && g.unsyncedCents > 0 && (
        <span>{t('staff.policy.unsynced', { value: formatMoney(g.unsyncedCents, i18n.language), max: formatMoney(g.maxUnsyncedCents, i18n.language) })}</span>
      )}
    </span>
  )
}

export function StatusWidget() {
  const term = useTerminal()
  const { t } = useTranslation()
  const now = useNow(5_000)
  const { client } = term
  const status = client.status
  // A bartender counts sales; the changes they are made of are shown apart, smaller.
  const pending = term.pendingSales
  const changes = client.pending()
  // When the current run of failed connects began: the alarm waits for a long one (POS21).
  const failingSince = useRef<number | null>(null)
  if (status === 'online' || client.failures === 0) failingSince.current = null
  else failingSince.current ??= Date.now()
  const alerts = syncAlerts({ status, pending, lastSyncAt: term.lastSyncAt, startedAt, failures: client.failures, failingSince: failingSince.current, now })
  const offline = useOfflineReady(term)
  const ready = offline.shell && offline.docs
  const worst = alerts.find((a) => a.level === 'error') ?? alerts.find((a) => a.level === 'danger') ?? alerts[0]
  return (
    <section
      className={`status status-${status} ${worst ? `alert-${worst.level}` : ''}`}
      data-testid="status"
      data-status={status}
      data-pending={changes}
      data-pending-sales={pending}
      data-pending-changes={changes}
      aria-live="polite"
    >
      <span className="status-dot" aria-hidden="true" />
      <span className="status-label" data-testid="status-label">
        {t(`status.${status}`)}
      </span>
      <span
        className={`status-ready ${ready ? 'is-ready' : ''}`}
        data-testid="offline-ready"
        data-ready={ready}
        data-shell={offline.shell}
        data-docs={offline.docs}
        title={t(ready ? 'offline.readyHelp' : 'offline.preparingHelp')}
      >
        {ready ? `✓ ${t('offline.ready')}` : t('offline.preparing')}
      </span>
      <span className={`status-pending ${pending > 0 ? 'has-pending' : ''}`} title={t('status.pendingSalesHelp')}>
        <b data-testid="pending-count">{pending}</b> {t('status.pendingSales', { count: pending })}
      </span>
      {changes > 0 && (
        <small className="status-changes" data-testid="pending-changes" title={t('status.changesHelp')}>
          {t('status.changes', { count: changes })}
        </small>
      )}
      <PolicyGaugeView />
      <span className="status-last" data-testid="last-sync">
        {term.lastSyncAt === null ? t('status.never') : ago(now - term.lastSyncAt, t)}
      </span>
      <button type="button" className="btn btn-small" data-testid="sync-now" onClick={() => client.syncNow()}>
        <span aria-hidden="true">⟳</span> <span className="sync-text">{t('status.syncNow')}</span>
      </button>
      {alerts.length > 0 && (
        <ul className="status-alerts" data-testid="alerts">
          {alerts.map((a) => (
            <li key={a.key} className={`alert alert-${a.level}`} data-alert={a.key}>
              {t(a.key, { count: a.count ?? 0 })}
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
