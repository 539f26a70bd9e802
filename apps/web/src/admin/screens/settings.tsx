/**
 * The store's settings: how each kind of conflict is settled, what a terminal may do
 * offline, the discount a cashier may give without a manager, and stock allowances for
 * scarce products. Saved with the version it was loaded at, so two people editing at
 * once do not overwrite each other silently; every save is in the audit log.
 */
import { useCallback, useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import type { StoreSettings } from '@tally/schema'
import { useAdmin } from '../admin-context.ts'
import { ApiError } from '../api.ts'
import { formatDateTime } from '../format.ts'
import { actorLabel } from '../labels.ts'
import { listOf, type Product } from '../types.ts'
import { ErrorBanner } from '../ui/error-banner.tsx'
import { useLoad } from '../ui/use-load.ts'
import { AllowancesSection, DiscountSection, OfflineSection, StrategiesSection, type Draft } from './settings-sections.tsx'

export interface SettingsAnswer {
  store: string
  version: number
  updatedAt: string | null
  updatedBy: string | null
  settings: StoreSettings
  changed?: boolean
}

export function SettingsScreen() {
  const { t } = useTranslation('admin')
  const { api } = useAdmin()
  const loaded = useLoad(() => api.get<SettingsAnswer>('/settings'), [])
  const products = useLoad(() => api.get<unknown>('/products').then((v) => listOf<Product>(v, 'products')), [])
  // Kept here: a save reloads the settings, which mounts a fresh form for the new version.
  const [saved, setSaved] = useState<SettingsAnswer | null>(null)
  return (
    <section data-testid="settings">
      <div className="adm-title-row">
        <h1>{t('nav.settings')}</h1>
      </div>
      <ErrorBanner error={loaded.error} />
      {saved !== null ? (
        <p className="adm-note ok" role="status" data-testid="settings-saved">
          {saved.changed === false ? t('settings.nothingChanged') : t('settings.saved', { version: saved.version })}
        </p>
      ) : null}
      {loaded.data ? (
        <SettingsForm
          key={loaded.data.version}
          answer={loaded.data}
          products={products.data ?? []}
          onSaved={(r) => {
            setSaved(r)
            loaded.reload()
          }}
          reload={() => {
            setSaved(null)
            loaded.reload()
          }}
        />
      ) : (
        <p>{t('common.loading')}</p>
      )}
    </section>
  )
}

function SettingsForm({ answer, products, onSaved, reload }: { answer: SettingsAnswer; products: readonly Product[]; onSaved: (r: SettingsAnswer) => void; reload: () => void }) {
  const { t, i18n } = useTranslation('admin')
  const { api } = useAdmin()
  const [draft, setDraft] = useState<Draft>(answer.settings)
  const [invalid, setInvalidSet] = useState<ReadonlySet<string>>(new Set())
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const setInvalid = useCallback((field: string, bad: boolean) => {
    setInvalidSet((s) => {
      if (s.has(field) === bad) return s
      const next = new Set(s)
      if (bad) next.add(field)
      else next.delete(field)
      return next
    })
  }, [])
  const dirty = JSON.stringify(draft) !== JSON.stringify(answer.settings)
  const stale = error instanceof ApiError && error.status === 409
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (invalid.size > 0) return
    setBusy(true)
    setError(null)
    try {
      const r = await api.put<SettingsAnswer>('/settings', { version: answer.version, ...draft })
      onSaved(r)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return (
    <form className="adm-form" onSubmit={submit} data-testid="settings-form" data-version={answer.version}>
      <p className="adm-card-sub" data-testid="settings-version">
        {answer.version === 0 ? t('settings.neverSaved') : t('settings.lastSaved', { version: answer.version, at: formatDateTime(answer.updatedAt, i18n.language), by: actorLabel(answer.updatedBy, t) })}
      </p>
      <OfflineSection value={draft.offlinePolicy} onChange={(offlinePolicy) => setDraft({ ...draft, offlinePolicy })} setInvalid={setInvalid} />
      <DiscountSection value={draft.discounts} onChange={(discounts) => setDraft({ ...draft, discounts })} setInvalid={setInvalid} />
      <AllowancesSection value={draft.allowances} products={products} onChange={(allowances) => setDraft({ ...draft, allowances })} setInvalid={setInvalid} />
      <StrategiesSection value={draft.strategies} onChange={(strategies) => setDraft({ ...draft, strategies })} />
      <ErrorBanner error={error} />
      {stale ? <p className="adm-note">{t('settings.stale')}</p> : null}
      <div className="adm-actions">
        <button type="submit" className="btn btn-primary" disabled={busy || invalid.size > 0 || !dirty} data-testid="settings-save">
          {busy ? t('common.working') : t('common.save')}
        </button>
        <button type="button" className="btn" onClick={reload} data-testid="settings-reload">
          {stale ? t('settings.reloadLatest') : t('settings.discard')}
        </button>
      </div>
    </form>
  )
}
