/**
 * Staff (issue 16): add, rename, change role, reset PIN, deactivate or reactivate. Every
 * change is audited by the relay and published to the store's terminals (the roster), so
 * a PIN works there offline. The PIN is typed here once and never shown again.
 */
import { useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { useAdmin } from '../admin-context.ts'
import { listOf } from '../types.ts'
import { DataTable, type Column } from '../ui/data-table.tsx'
import { ErrorBanner } from '../ui/error-banner.tsx'
import { useLoad } from '../ui/use-load.ts'

export interface StaffMemberView {
  id: string
  name: string
  role: 'bartender' | 'manager'
  active: boolean
  updatedAt: string
}

const PIN = /^[0-9]{4,8}$/

export function StaffScreen() {
  const { t } = useTranslation('admin')
  const { api } = useAdmin()
  const staff = useLoad(() => api.get<unknown>('/staff').then((v) => listOf<StaffMemberView>(v, 'staff')), [])
  const [editing, setEditing] = useState<StaffMemberView | 'new' | null>(null)
  const [filter, setFilter] = useState('')
  const f = filter.trim().toLowerCase()
  const rows = (staff.data ?? []).filter((m) => f === '' || m.name.toLowerCase().includes(f))
  const columns: Column<StaffMemberView>[] = [
    { key: 'name', header: t('staff.name'), cell: (r) => r.name, csv: (r) => r.name },
    { key: 'role', header: t('staff.role'), cell: (r) => t(`staff.role_${r.role}`), csv: (r) => r.role },
    { key: 'active', header: t('staff.active'), cell: (r) => <span className={r.active ? 'adm-pill ok' : 'adm-pill off'}>{r.active ? t('common.yes') : t('common.no')}</span>, csv: (r) => r.active },
    {
      key: 'edit',
      header: '',
      cell: (r) => (
        <button type="button" className="btn btn-small" onClick={() => setEditing(r)} data-testid="staff-edit">
          {t('common.edit')}
        </button>
      ),
    },
    { key: 'id', header: 'ID', cell: (r) => <code className="adm-id">…{r.id.slice(-8)}</code>, csv: (r) => r.id },
  ]
  return (
    <section data-testid="staff">
      <div className="adm-title-row">
        <h1>{t('nav.staff')}</h1>
        <button type="button" className="btn btn-primary" onClick={() => setEditing('new')} data-testid="staff-new">
          + {t('staff.new')}
        </button>
      </div>
      <p className="adm-muted">{t('staff.intro')}</p>
      {editing !== null ? (
        <StaffForm
          key={editing === 'new' ? 'new' : editing.id}
          member={editing === 'new' ? null : editing}
          onDone={() => {
            setEditing(null)
            staff.reload()
          }}
          onCancel={() => setEditing(null)}
        />
      ) : null}
      <ErrorBanner error={staff.error} />
      <div className="adm-toolbar">
        <input className="input input-small adm-search" type="search" placeholder={t('staff.search')} value={filter} onChange={(e) => setFilter(e.target.value)} />
      </div>
      <DataTable rows={rows} columns={columns} rowKey={(r) => r.id} csvName="staff" testId="staff-table" rowProps={(r) => ({ 'data-staff-id': r.id, 'data-name': r.name, 'data-role': r.role, 'data-active': String(r.active) })} rowClass={(r) => (r.active ? '' : 'adm-row-muted')} empty={staff.loading ? t('common.loading') : t('staff.none')} />
    </section>
  )
}

function StaffForm({ member, onDone, onCancel }: { member: StaffMemberView | null; onDone: () => void; onCancel: () => void }) {
  const { t } = useTranslation('admin')
  const { api } = useAdmin()
  const [name, setName] = useState(member?.name ?? '')
  const [role, setRole] = useState<StaffMemberView['role']>(member?.role ?? 'bartender')
  const [pin, setPin] = useState('')
  const [active, setActive] = useState(member?.active ?? true)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const reactivating = member !== null && !member.active && active
  const pinNeeded = member === null || reactivating
  const pinOk = pin === '' ? !pinNeeded : PIN.test(pin)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (!pinOk) return
    setBusy(true)
    setError(null)
    try {
      if (member === null) await api.post('/staff', { name: name.trim(), role, pin })
      else {
        const patch: Record<string, unknown> = {}
        if (name.trim() !== member.name) patch.name = name.trim()
        if (role !== member.role) patch.role = role
        if (active !== member.active) patch.active = active
        if (pin !== '') patch.pin = pin
        if (Object.keys(patch).length > 0) await api.patch(`/staff/${encodeURIComponent(member.id)}`, patch)
      }
      onDone()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return (
    <form className="adm-card adm-form" onSubmit={submit} data-testid="staff-form">
      <h2>{member === null ? t('staff.new') : t('staff.editTitle', { name: member.name })}</h2>
      <div className="adm-form-row">
        <label className="adm-field adm-grow">
          <span>{t('staff.name')}</span>
          <input className="input" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} autoFocus data-testid="staff-name" />
        </label>
        <label className="adm-field">
          <span>{t('staff.role')}</span>
          <select className="input" value={role} onChange={(e) => setRole(e.target.value as StaffMemberView['role'])} data-testid="staff-role">
            <option value="bartender">{t('staff.role_bartender')}</option>
            <option value="manager">{t('staff.role_manager')}</option>
          </select>
        </label>
        <label className="adm-field">
          <span>{pinNeeded ? t('staff.pin') : t('staff.newPin')}</span>
          <input
            className="input"
            type="password"
            inputMode="numeric"
            autoComplete="new-password"
            maxLength={8}
            required={pinNeeded}
            value={pin}
            onChange={(e) => setPin(e.target.value.replace(/[^0-9]/g, ''))}
            aria-invalid={!pinOk}
            title={t('staff.pinHelp')}
            data-testid="staff-pin"
          />
        </label>
        {member !== null ? (
          <label className="adm-check">
            <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} data-testid="staff-active" /> {t('staff.active')}
          </label>
        ) : null}
      </div>
      {reactivating && pin === '' ? <p className="adm-muted">{t('staff.reactivateNeedsPin')}</p> : null}
      <ErrorBanner error={error} />
      <div className="adm-actions">
        <button type="submit" className="btn btn-primary" disabled={busy || !pinOk} data-testid="staff-save">
          {busy ? t('common.working') : t('common.save')}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  )
}
