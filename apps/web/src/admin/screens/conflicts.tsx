/**
 * The conflict queue: open (or resolved) conflicts, one selected with both sides' evidence
 * side by side, a strategy and a note, and Resolve. The list follows the live feed's
 * open-conflict count, so a new oversell shows up without a reload.
 */
import { useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { useAdmin } from '../admin-context.ts'
import { formatDateTime } from '../format.ts'
import { hrefFor, navigate } from '../router.ts'
import { STRATEGIES, listOf, type Conflict, type Strategy } from '../types.ts'
import { ErrorBanner } from '../ui/error-banner.tsx'
import { useLoad } from '../ui/use-load.ts'
import { EvidenceView } from './evidence-view.tsx'

export function ConflictsScreen({ selected }: { selected: string | null }) {
  const { t, i18n } = useTranslation('admin')
  const { api, live } = useAdmin()
  const [status, setStatus] = useState<'open' | 'resolved'>('open')
  const [tick, setTick] = useState(0)
  const openCount = live.data?.openConflicts ?? 0
  const list = useLoad(() => api.get<unknown>('/conflicts', { status }).then((v) => listOf<Conflict>(v, 'conflicts')), [status, openCount, tick])
  const rows = list.data ?? []
  return (
    <section data-testid="conflicts">
      <h1>{t('nav.conflicts')}</h1>
      <div className="adm-toolbar">
        <div className="adm-tabs" role="tablist">
          {(['open', 'resolved'] as const).map((s) => (
            <button key={s} type="button" role="tab" aria-selected={status === s} className={status === s ? 'btn btn-small active' : 'btn btn-small'} onClick={() => setStatus(s)} data-testid={`conflicts-${s}`}>
              {t(`conflicts.status.${s}`)}
            </button>
          ))}
        </div>
      </div>
      <ErrorBanner error={list.error} />
      <div className="adm-split">
        <ul className="adm-list" data-testid="conflict-list">
          {rows.length === 0 ? <li className="adm-empty">{list.loading ? t('common.loading') : t('conflicts.none')}</li> : null}
          {rows.map((c) => (
            <li key={String(c.id)}>
              <a
                href={hrefFor('conflicts', String(c.id))}
                className={String(c.id) === selected ? 'active' : undefined}
                data-testid="conflict"
                data-kind={c.kind}
                data-id={String(c.id)}
                data-status={c.status}
                onClick={(e) => {
                  e.preventDefault()
                  navigate(hrefFor('conflicts', String(c.id)))
                }}
              >
                <span className={`adm-pill ${c.status === 'open' ? 'danger' : 'ok'}`}>{t(`conflicts.kind.${c.kind}`, { defaultValue: c.kind })}</span>
                <span className="adm-list-sub">
                  {summary(c)} · {formatDateTime(c.createdAt, i18n.language)}
                </span>
              </a>
            </li>
          ))}
        </ul>
        <div className="adm-detail">
          {selected !== null ? (
            <ConflictDetail key={selected} id={selected} onResolved={() => setTick((x) => x + 1)} />
          ) : (
            <p className="hint">{t('conflicts.pick')}</p>
          )}
        </div>
      </div>
    </section>
  )
}

function summary(c: Conflict): string {
  const e = c.evidence
  const product = typeof e.productId === 'string' ? e.productId : null
  const n = c.docs.length
  return [product, n > 0 ? `${n} doc${n === 1 ? '' : 's'}` : null].filter(Boolean).join(' · ')
}

function ConflictDetail({ id, onResolved }: { id: string; onResolved: () => void }) {
  const { t, i18n } = useTranslation('admin')
  const { api } = useAdmin()
  const c = useLoad(() => api.get<Conflict | { conflict: Conflict }>(`/conflicts/${encodeURIComponent(id)}`).then((v) => ('conflict' in v ? v.conflict : v)), [id])
  const [strategy, setStrategy] = useState<Strategy | ''>('')
  const [note, setNote] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [done, setDone] = useState(false)
  if (c.error) return <ErrorBanner error={c.error} />
  if (c.data === null) return <p className="loading">{t('common.loading')}</p>
  const conflict = c.data
  const chosen: Strategy = strategy !== '' ? strategy : (STRATEGIES as readonly string[]).includes(conflict.strategy) && conflict.strategy !== 'manual' ? (conflict.strategy as Strategy) : 'server_wins'
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await api.post(`/conflicts/${encodeURIComponent(id)}/resolve`, { strategy: chosen, note })
      setDone(true)
      c.reload()
      onResolved()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return (
    <article className="adm-card" data-testid="conflict-detail" data-status={conflict.status} data-kind={conflict.kind}>
      <h2>
        {t(`conflicts.kind.${conflict.kind}`, { defaultValue: conflict.kind })} <span className="hint">#{String(conflict.id)}</span>
      </h2>
      <p className="hint">{t(`conflicts.explain.${conflict.kind}`, { defaultValue: '' })}</p>
      <p className="hint">
        {t('conflicts.detected', { at: formatDateTime(conflict.createdAt, i18n.language) })} · {t('conflicts.configured', { strategy: t(`strategy.${conflict.strategy}`, { defaultValue: conflict.strategy }) })}
      </p>
      <EvidenceView evidence={conflict.evidence} />
      {conflict.docs.length > 0 ? (
        <details>
          <summary>{t('conflicts.docs', { count: conflict.docs.length })}</summary>
          <ul className="adm-docs">
            {conflict.docs.map((d) => (
              <li key={d}>
                <code>{d}</code>
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {conflict.status === 'open' ? (
        <form onSubmit={submit} className="adm-form" data-testid="resolve-form">
          <h3>{t('conflicts.resolve')}</h3>
          <fieldset className="adm-strategies">
            {STRATEGIES.map((s) => (
              <label key={s} className={chosen === s ? 'adm-radio active' : 'adm-radio'}>
                <input type="radio" name="strategy" value={s} checked={chosen === s} onChange={() => setStrategy(s)} data-testid={`strategy-${s}`} />
                <span>
                  <b>{t(`strategy.${s}`)}</b>
                  <small className="hint">{t(`strategyHelp.${s}`)}</small>
                </span>
              </label>
            ))}
          </fieldset>
          <label className="adm-field">
            <span>{t('common.note')}</span>
            <input className="input" value={note} onChange={(e) => setNote(e.target.value)} maxLength={500} data-testid="resolve-note" />
          </label>
          <ErrorBanner error={error} />
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="resolve">
            {busy ? t('common.working') : t('conflicts.resolveButton')}
          </button>
        </form>
      ) : (
        <div className="adm-resolved" data-testid="resolution">
          <h3>{done ? t('conflicts.justResolved') : t('conflicts.resolution')}</h3>
          <p>
            {t('conflicts.resolvedBy', {
              who: conflict.resolvedBy ?? '—',
              at: formatDateTime(conflict.resolvedAt, i18n.language),
              strategy: t(`strategy.${String(conflict.resolution?.strategy ?? conflict.strategy)}`, { defaultValue: String(conflict.resolution?.strategy ?? conflict.strategy) }),
            })}
          </p>
          {conflict.resolution && typeof conflict.resolution.note === 'string' && conflict.resolution.note !== '' ? <blockquote>{conflict.resolution.note}</blockquote> : null}
        </div>
      )}
    </article>
  )
}
