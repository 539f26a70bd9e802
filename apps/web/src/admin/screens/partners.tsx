/** Partners (members): create, rename, member number, active. Published into the catalog. */
import { useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { useAdmin } from '../admin-context.ts'
import { listOf, type Partner } from '../types.ts'
import { DataTable, type Column } from '../ui/data-table.tsx'
import { ErrorBanner } from '../ui/error-banner.tsx'
import { useLoad } from '../ui/use-load.ts'

export function PartnersScreen() {
  const { t } = useTranslation('admin')
  const { api } = useAdmin()
  const partners = useLoad(() => api.get<unknown>('/partners').then((v) => listOf<Partner>(v, 'partners')), [])
  const [editing, setEditing] = useState<Partner | 'new' | null>(null)
  const [filter, setFilter] = useState('')
  const f = filter.trim().toLowerCase()
  const rows = (partners.data ?? []).filter((p) => f === '' || p.name.toLowerCase().includes(f) || p.memberNo.toLowerCase().includes(f)).sort((a, b) => a.name.localeCompare(b.name))
  const columns: Column<Partner>[] = [
    { key: 'memberNo', header: t('partners.memberNo'), cell: (r) => r.memberNo, csv: (r) => r.memberNo },
    { key: 'name', header: t('partners.name'), cell: (r) => r.name, csv: (r) => r.name },
    { key: 'active', header: t('products.active'), cell: (r) => <span className={r.active ? 'adm-pill ok' : 'adm-pill off'}>{r.active ? t('common.yes') : t('common.no')}</span>, csv: (r) => r.active },
    {
      key: 'edit',
      header: '',
      cell: (r) => (
        <button type="button" className="btn btn-small" onClick={() => setEditing(r)} data-testid="partner-edit">
          {t('common.edit')}
        </button>
      ),
    },
    { key: 'id', header: 'ID', cell: (r) => <code className="adm-id">{r.id.length > 20 ? `…${r.id.slice(-8)}` : r.id}</code>, csv: (r) => r.id },
  ]
  return (
    <section data-testid="partners">
      <div className="adm-title-row">
        <h1>{t('nav.partners')}</h1>
        <button type="button" className="btn btn-primary" onClick={() => setEditing('new')} data-testid="partner-new">
          + {t('partners.new')}
        </button>
      </div>
      {editing !== null ? (
        <PartnerForm
          key={editing === 'new' ? 'new' : editing.id}
          partner={editing === 'new' ? null : editing}
          onDone={() => {
            setEditing(null)
            partners.reload()
          }}
          onCancel={() => setEditing(null)}
        />
      ) : null}
      <ErrorBanner error={partners.error} />
      <div className="adm-toolbar">
        <input className="input input-small adm-search" type="search" placeholder={t('partners.search')} value={filter} onChange={(e) => setFilter(e.target.value)} />
      </div>
      <DataTable rows={rows} columns={columns} rowKey={(r) => r.id} csvName="partners" testId="partners-table" rowClass={(r) => (r.active ? '' : 'adm-row-muted')} empty={partners.loading ? t('common.loading') : t('partners.none')} />
    </section>
  )
}

function PartnerForm({ partner, onDone, onCancel }: { partner: Partner | null; onDone: () => void; onCancel: () => void }) {
  const { t } = useTranslation('admin')
  const { api } = useAdmin()
  const [name, setName] = useState(partner?.name ?? '')
  const [memberNo, setMemberNo] = useState(partner?.memberNo ?? '')
  const [active, setActive] = useState(partner?.active ?? true)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      if (partner === null) await api.post('/partners', { name: name.trim(), memberNo: memberNo.trim() })
      else await api.patch(`/partners/${encodeURIComponent(partner.id)}`, { name: name.trim(), memberNo: memberNo.trim(), active })
      onDone()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return (
    <form className="adm-card adm-form" onSubmit={submit} data-testid="partner-form">
      <h2>{partner === null ? t('partners.new') : t('partners.editTitle', { name: partner.name })}</h2>
      <div className="adm-form-row">
        <label className="adm-field adm-grow">
          <span>{t('partners.name')}</span>
          <input className="input" required maxLength={120} value={name} onChange={(e) => setName(e.target.value)} autoFocus data-testid="partner-name" />
        </label>
        <label className="adm-field">
          <span>{t('partners.memberNo')}</span>
          <input className="input" maxLength={40} value={memberNo} onChange={(e) => setMemberNo(e.target.value)} data-testid="partner-member" />
        </label>
        {partner !== null ? (
          <label className="adm-check">
            <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} /> {t('products.active')}
          </label>
        ) : null}
      </div>
      <ErrorBanner error={error} />
      <div className="adm-actions">
        <button type="submit" className="btn btn-primary" disabled={busy} data-testid="partner-save">
          {busy ? t('common.working') : t('common.save')}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  )
}
