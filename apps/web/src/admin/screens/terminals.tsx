/**
 * Terminals from the live feed, and one terminal's sync history: what it sent (tickets,
 * tab and visit changes, from /terminals/:id/uploads) interleaved with its connects,
 * disconnects and refusals (the audit rows about it), newest first.
 */
import { useTranslation } from 'react-i18next'
import { useAdmin } from '../admin-context.ts'
import { formatDateTime } from '../format.ts'
import { hrefFor, navigate } from '../router.ts'
import { listOf, type AuditRow, type Upload } from '../types.ts'
import { ErrorBanner } from '../ui/error-banner.tsx'
import { useLoad } from '../ui/use-load.ts'
import { AuditTable } from './audit-table.tsx'

export function TerminalsScreen({ terminalId }: { terminalId: string | null }) {
  const { t, i18n } = useTranslation('admin')
  const { live } = useAdmin()
  const terminals = live.data?.terminals ?? []
  return (
    <section data-testid="terminals">
      <h1>{t('nav.terminals')}</h1>
      <div className="adm-chips">
        {terminals.map((x) => (
          <a
            key={x.terminalId}
            href={hrefFor('terminals', x.terminalId)}
            className={x.terminalId === terminalId ? 'adm-chip active' : 'adm-chip'}
            onClick={(e) => {
              e.preventDefault()
              navigate(hrefFor('terminals', x.terminalId))
            }}
            data-testid="terminal-chip"
          >
            <span className={x.connected ? 'dot on' : 'dot'} /> {x.terminalId}
            <small className="hint"> {x.connected ? t('dashboard.online') : formatDateTime(x.lastSeen, i18n.language)}</small>
          </a>
        ))}
        {terminals.length === 0 ? <p className="hint">{t('dashboard.noTerminals')}</p> : null}
      </div>
      {terminalId !== null ? <History key={terminalId} terminalId={terminalId} /> : <p className="hint">{t('terminals.pick')}</p>}
    </section>
  )
}

/** An upload as a history row, so one table shows the whole story. */
export function uploadRow(u: Upload, terminalId: string): AuditRow {
  return {
    id: `upload:${u.doc}`,
    at: u.lastAt,
    actor: `terminal:${terminalId}`,
    kind: 'upload',
    code: u.source,
    doc: u.doc,
    detail: { ...(u.changes !== null ? { changes: u.changes } : {}), ...(u.firstAt !== u.lastAt ? { firstAt: u.firstAt } : {}), ...(typeof u.subject?.total === 'number' ? { total: u.subject.total } : {}) },
    subject: u.subject,
  }
}

function History({ terminalId }: { terminalId: string }) {
  const { t } = useTranslation('admin')
  const { api, live } = useAdmin()
  const me = live.data?.terminals.find((x) => x.terminalId === terminalId)
  // Refetch when this terminal's live row changes (it connected, synced or failed).
  const stamp = me ? `${me.connected}|${me.lastSeq}|${me.lastError ?? ''}` : ''
  const path = `/terminals/${encodeURIComponent(terminalId)}`
  const h = useLoad(async () => {
    const [events, uploads] = await Promise.all([
      api.get<unknown>(`${path}/history`).then((v) => listOf<AuditRow>(v, 'history', 'events')),
      api.get<unknown>(`${path}/uploads`).then((v) => listOf<Upload>(v, 'uploads')),
    ])
    return [...events, ...uploads.map((u) => uploadRow(u, terminalId))].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))
  }, [terminalId, stamp])
  return (
    <>
      <h2>{t('terminals.history', { id: terminalId })}</h2>
      <ErrorBanner error={h.error} />
      <AuditTable rows={h.data ?? []} csvName={`history-${terminalId}`} testId="history-table" empty={h.loading ? t('common.loading') : t('terminals.noHistory')} />
    </>
  )
}
