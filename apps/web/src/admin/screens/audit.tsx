/**
 * The audit log with filters (kind, actor, terminal, document, time range); pages backwards
 * with `before` = the oldest id shown.
 */
import { useEffect, useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { useAdmin } from '../admin-context.ts'
import { dayStartIso } from '../format.ts'
import { listOf, type AuditRow } from '../types.ts'
import { ErrorBanner } from '../ui/error-banner.tsx'
import { AuditTable } from './audit-table.tsx'

const PAGE = 100
const KINDS = ['', 'connect', 'disconnect', 'heartbeat_timeout', 'refusal', 'login', 'master-data', 'stock', 'resolution', 'void', 'sale-upload', 'settings'] as const

interface Filters {
  kind: string
  actor: string
  terminal: string
  doc: string
  from: string
  to: string
}

const EMPTY: Filters = { kind: '', actor: '', terminal: '', doc: '', from: '', to: '' }

export function AuditScreen() {
  const { t } = useTranslation('admin')
  const { api } = useAdmin()
  const [draft, setDraft] = useState<Filters>(EMPTY)
  const [rows, setRows] = useState<AuditRow[] | null>(null)
  const [more, setMore] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [applied, setApplied] = useState<Filters | null>(null)

  const load = async (f: Filters, before?: string) => {
    setBusy(true)
    setError(null)
    try {
      const q = {
        kind: f.kind,
        actor: f.actor.trim(),
        terminal: f.terminal.trim(),
        doc: f.doc.trim(),
        from: f.from ? dayStartIso(f.from) : '',
        to: f.to ? dayStartIso(f.to, 1) : '',
        limit: PAGE,
        before,
      }
      const page = listOf<AuditRow>(await api.get<unknown>('/audit', q), 'audit')
      setRows((r) => (before !== undefined && r ? [...r, ...page] : page))
      setMore(page.length === PAGE)
      setApplied(f)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  useEffect(() => {
    void load(EMPTY)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [])

  const submit = (e: FormEvent) => {
    e.preventDefault()
    void load(draft)
  }
  const set = (k: keyof Filters) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [k]: e.target.value }))
  const oldest = rows && rows.length > 0 ? rows[rows.length - 1] : undefined
  return (
    <section data-testid="audit">
      <h1>{t('nav.audit')}</h1>
      <form className="adm-card adm-filters" onSubmit={submit} data-testid="audit-filters">
        <label className="adm-field">
          <span>{t('audit.kind')}</span>
          <select className="input input-small" value={draft.kind} onChange={set('kind')} data-testid="audit-kind">
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k === '' ? t('audit.anyKind') : t(`audit.kinds.${k}`, { defaultValue: k })}
              </option>
            ))}
          </select>
        </label>
        <label className="adm-field">
          <span>{t('audit.actor')}</span>
          <input className="input input-small" value={draft.actor} onChange={set('actor')} data-testid="audit-actor" />
        </label>
        <label className="adm-field">
          <span>{t('audit.terminal')}</span>
          <input className="input input-small" value={draft.terminal} onChange={set('terminal')} data-testid="audit-terminal" />
        </label>
        <label className="adm-field">
          <span>{t('audit.doc')}</span>
          <input className="input input-small" value={draft.doc} onChange={set('doc')} />
        </label>
        <label className="adm-field">
          <span>{t('reports.from')}</span>
          <input className="input input-small" type="date" value={draft.from} onChange={set('from')} />
        </label>
        <label className="adm-field">
          <span>{t('reports.to')}</span>
          <input className="input input-small" type="date" value={draft.to} onChange={set('to')} />
        </label>
        <div className="adm-actions">
          <button type="submit" className="btn btn-primary btn-small" disabled={busy} data-testid="audit-apply">
            {t('audit.apply')}
          </button>
          <button
            type="button"
            className="btn btn-small"
            onClick={() => {
              setDraft(EMPTY)
              void load(EMPTY)
            }}
          >
            {t('audit.clear')}
          </button>
        </div>
      </form>
      <ErrorBanner error={error} />
      <AuditTable rows={rows ?? []} csvName="audit" testId="audit-table" empty={busy ? t('common.loading') : t('audit.none')} />
      {more && oldest ? (
        <button type="button" className="btn" disabled={busy} onClick={() => applied && void load(applied, String(oldest.id))}>
          {t('audit.more')}
        </button>
      ) : null}
    </section>
  )
}
