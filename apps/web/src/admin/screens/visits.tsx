/**
 * Visits: open one for a partner with their bracelets, change bracelets (a lost one is
 * replaced), close it on exit. Published into the roster, so terminals find the visit by
 * bracelet even offline.
 */
import { useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { useAdmin } from '../admin-context.ts'
import { parseBracelets } from '../bracelets.ts'
import { centsToCsv } from '../csv.ts'
import { formatDateTime } from '../format.ts'
import { listOf, type Partner, type Visit } from '../types.ts'
import { DataTable, type Column } from '../ui/data-table.tsx'
import { ErrorBanner } from '../ui/error-banner.tsx'
import { Money } from '../ui/money.tsx'
import { useLoad } from '../ui/use-load.ts'

export function VisitsScreen() {
  const { t, i18n } = useTranslation('admin')
  const { api } = useAdmin()
  const [onlyOpen, setOnlyOpen] = useState(true)
  const visits = useLoad(() => api.get<unknown>('/visits', onlyOpen ? { open: 1 } : {}).then((v) => listOf<Visit>(v, 'visits')), [onlyOpen])
  const partners = useLoad(() => api.get<unknown>('/partners').then((v) => listOf<Partner>(v, 'partners')), [])
  const [editing, setEditing] = useState<Visit | null>(null)
  const [error, setError] = useState<unknown>(null)
  const names = new Map((partners.data ?? []).map((p) => [p.id, p.name]))
  const partnerName = (v: Visit) => v.partnerName ?? names.get(v.partnerId) ?? v.partnerId
  const close = async (v: Visit) => {
    if (!confirm(t('visits.closeConfirm', { name: partnerName(v) }))) return
    setError(null)
    try {
      await api.post(`/visits/${encodeURIComponent(v.id)}/close`)
      visits.reload()
    } catch (err) {
      setError(err)
    }
  }
  const rows = [...(visits.data ?? [])].sort((a, b) => (a.entryAt < b.entryAt ? 1 : -1))
  const columns: Column<Visit>[] = [
    { key: 'partner', header: t('visits.partner'), cell: partnerName, csv: partnerName },
    { key: 'bracelets', header: t('visits.bracelets'), cell: (r) => r.bracelets.map((b) => <code key={b} className="adm-tag">{b}</code>), csv: (r) => r.bracelets.join(' ') },
    { key: 'entryAt', header: t('visits.entry'), cell: (r) => formatDateTime(r.entryAt, i18n.language), csv: (r) => r.entryAt },
    { key: 'exitAt', header: t('visits.exit'), cell: (r) => (r.exitAt ? formatDateTime(r.exitAt, i18n.language) : <span className="adm-pill ok">{t('visits.open')}</span>), csv: (r) => r.exitAt },
    { key: 'consumed', header: t('visits.consumed'), numeric: true, cell: (r) => (r.consumed !== undefined ? <Money cents={r.consumed} /> : '—'), csv: (r) => (r.consumed !== undefined ? centsToCsv(r.consumed) : '') },
    {
      key: 'actions',
      header: '',
      cell: (r) =>
        r.exitAt ? null : (
          <span className="adm-actions">
            <button type="button" className="btn btn-small" onClick={() => setEditing(r)}>
              {t('visits.editBracelets')}
            </button>
            <button type="button" className="btn btn-small" onClick={() => void close(r)} data-testid="visit-close">
              {t('visits.close')}
            </button>
          </span>
        ),
    },
  ]
  return (
    <section data-testid="visits">
      <h1>{t('nav.visits')}</h1>
      <OpenVisitForm partners={(partners.data ?? []).filter((p) => p.active)} onDone={visits.reload} />
      {editing !== null ? <BraceletsForm key={editing.id} visit={editing} onDone={() => (setEditing(null), visits.reload())} onCancel={() => setEditing(null)} /> : null}
      <ErrorBanner error={error ?? visits.error} onClose={error ? () => setError(null) : undefined} />
      <div className="adm-toolbar">
        <label className="adm-check">
          <input type="checkbox" checked={onlyOpen} onChange={(e) => setOnlyOpen(e.target.checked)} /> {t('visits.onlyOpen')}
        </label>
      </div>
      <DataTable rows={rows} columns={columns} rowKey={(r) => r.id} csvName="visits" testId="visits-table" empty={visits.loading ? t('common.loading') : t('visits.none')} />
    </section>
  )
}

function OpenVisitForm({ partners, onDone }: { partners: Partner[]; onDone: () => void }) {
  const { t } = useTranslation('admin')
  const { api } = useAdmin()
  const [partnerId, setPartnerId] = useState('')
  const [bracelets, setBracelets] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const list = parseBracelets(bracelets)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await api.post('/visits', { partnerId, bracelets: list })
      setBracelets('')
      setPartnerId('')
      onDone()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return (
    <form className="adm-card adm-form" onSubmit={submit} data-testid="visit-form">
      <h2>{t('visits.openTitle')}</h2>
      <div className="adm-form-row">
        <label className="adm-field adm-grow">
          <span>{t('visits.partner')}</span>
          <select className="input" required value={partnerId} onChange={(e) => setPartnerId(e.target.value)} data-testid="visit-partner">
            <option value="">{t('visits.pickPartner')}</option>
            {partners.map((p) => (
              <option key={p.id} value={p.id}>
                {p.memberNo} · {p.name}
              </option>
            ))}
          </select>
        </label>
        <label className="adm-field adm-grow">
          <span>{t('visits.bracelets')}</span>
          <input className="input" value={bracelets} onChange={(e) => setBracelets(e.target.value)} placeholder="B-1001, B-1002" data-testid="visit-bracelets" />
          <small className="hint">{t('visits.braceletsHelp')}</small>
        </label>
      </div>
      <ErrorBanner error={error} />
      <button type="submit" className="btn btn-primary" disabled={busy || partnerId === '' || list.length === 0} data-testid="visit-open">
        {busy ? t('common.working') : t('visits.openButton')}
      </button>
    </form>
  )
}

function BraceletsForm({ visit, onDone, onCancel }: { visit: Visit; onDone: () => void; onCancel: () => void }) {
  const { t } = useTranslation('admin')
  const { api } = useAdmin()
  const [value, setValue] = useState(visit.bracelets.join(', '))
  const [error, setError] = useState<unknown>(null)
  const list = parseBracelets(value)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    try {
      await api.patch(`/visits/${encodeURIComponent(visit.id)}`, { bracelets: list })
      onDone()
    } catch (err) {
      setError(err)
    }
  }
  return (
    <form className="adm-card adm-form" onSubmit={submit}>
      <h2>{t('visits.editBracelets')}</h2>
      <input className="input" value={value} onChange={(e) => setValue(e.target.value)} autoFocus />
      <ErrorBanner error={error} />
      <div className="adm-actions">
        <button type="submit" className="btn btn-primary" disabled={list.length === 0}>
          {t('common.save')}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  )
}
