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
import { STRATEGIES, listOf, type Conflict, type Product, type Strategy } from '../types.ts'
import { ErrorBanner } from '../ui/error-banner.tsx'
import { useLoad } from '../ui/use-load.ts'
import { Money } from '../ui/money.tsx'
import { EvidenceView } from './evidence-view.tsx'

/** The conflict kind of a document the server could not store (projections quarantine.ts). */
export const UNPROJECTABLE = 'unprojectable'

export function ConflictsScreen({ selected }: { selected: string | null }) {
  const { t, i18n } = useTranslation('admin')
  const { api, live } = useAdmin()
  const [status, setStatus] = useState<'open' | 'resolved'>('open')
  const [tick, setTick] = useState(0)
  const openCount = live.data?.openConflicts ?? 0
  const list = useLoad(() => api.get<unknown>('/conflicts', { status }).then((v) => listOf<Conflict>(v, 'conflicts')), [status, openCount, tick])
  const rows = list.data ?? []
  const products = useLoad(() => api.get<unknown>('/products').then((v) => new Map(listOf<Product>(v, 'products').map((p) => [p.id, p.name]))), [])
  const names = products.data ?? new Map<string, string>()
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
                  {summary(c, names)} · {formatDateTime(c.createdAt, i18n.language)}
                </span>
              </a>
            </li>
          ))}
        </ul>
        <div className="adm-detail">
          {selected !== null ? (
            <ConflictDetail key={selected} id={selected} names={names} onResolved={() => setTick((x) => x + 1)} />
          ) : (
            <p className="hint">{t('conflicts.pick')}</p>
          )}
        </div>
      </div>
    </section>
  )
}

function summary(c: Conflict, names: ReadonlyMap<string, string>): string {
  const e = c.evidence
  const product = typeof e.productId === 'string' ? (names.get(e.productId) ?? e.productId) : null
  const n = c.docs.length
  return [product, n > 0 ? `${n} doc${n === 1 ? '' : 's'}` : null].filter(Boolean).join(' · ')
}

function ConflictDetail({ id, names, onResolved }: { id: string; names: ReadonlyMap<string, string>; onResolved: () => void }) {
  const { t, i18n } = useTranslation('admin')
  const { api } = useAdmin()
  const c = useLoad(() => api.get<Conflict | { conflict: Conflict }>(`/conflicts/${encodeURIComponent(id)}`).then((v) => ('conflict' in v ? v.conflict : v)), [id])
  const [strategy, setStrategy] = useState<Strategy | ''>('')
  const [outcome, setOutcome] = useState<'accept' | 'refuse' | ''>('')
  const [counted, setCounted] = useState('')
  const [note, setNote] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [done, setDone] = useState(false)
  if (c.error) return <ErrorBanner error={c.error} />
  if (c.data === null) return <p className="loading">{t('common.loading')}</p>
  const conflict = c.data
  const oversold = conflict.kind === 'oversold'
  const deficit = Number((conflict.evidence.server as Record<string, unknown> | undefined)?.deficit ?? 0)
  // Oversold: the sales prove the units were on the shelf, so booking them is the usual answer.
  const fallback: Strategy = oversold ? 'terminal_wins' : 'server_wins'
  const chosen: Strategy = strategy !== '' ? strategy : (STRATEGIES as readonly string[]).includes(conflict.strategy) && conflict.strategy !== 'manual' ? (conflict.strategy as Strategy) : fallback
  const needsOutcome = chosen === 'manual' && !oversold
  const countedOk = counted.trim() === '' || (Number.isInteger(Number(counted)) && Number(counted) >= 0)
  const canSubmit = countedOk && (!needsOutcome || outcome !== '')
  const help = (s: Strategy) => (oversold ? t(`strategyHelpOversold.${s}`, { count: deficit }) : t(`strategyHelp.${s}`))
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await api.post(`/conflicts/${encodeURIComponent(id)}/resolve`, {
        strategy: chosen,
        note,
        ...(chosen === 'manual' && outcome !== '' ? { outcome } : {}),
        ...(oversold && counted.trim() !== '' ? { counted: Number(counted) } : {}),
      })
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
      <EvidenceView evidence={conflict.evidence} productNames={names} />
      {conflict.tickets && conflict.tickets.length > 0 ? <TicketsInvolved tickets={conflict.tickets} /> : null}
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
      {conflict.status === 'open' && conflict.kind === UNPROJECTABLE ? (
        // The projection owns these: they clear when the document projects again.
        <p className="adm-resolved" data-testid="unprojectable-help">
          {t('conflicts.unprojectableHelp')}
        </p>
      ) : conflict.status === 'open' ? (
        <form onSubmit={submit} className="adm-form" data-testid="resolve-form">
          <h3>{t('conflicts.resolve')}</h3>
          <fieldset className="adm-strategies">
            {STRATEGIES.map((s) => (
              <label key={s} className={chosen === s ? 'adm-radio active' : 'adm-radio'}>
                <input type="radio" name="strategy" value={s} checked={chosen === s} onChange={() => setStrategy(s)} data-testid={`strategy-${s}`} />
                <span>
                  <b>{t(`strategy.${s}`)}</b>
                  <small className="hint">{help(s)}</small>
                </span>
              </label>
            ))}
          </fieldset>
          {chosen === 'manual' ? (
            <fieldset className="adm-form-row adm-outcome">
              <legend>{t(oversold ? 'conflicts.outcomeOptional' : 'conflicts.outcome')}</legend>
              {(['accept', 'refuse'] as const).map((o) => (
                <label key={o} className={outcome === o ? 'adm-radio active' : 'adm-radio'}>
                  <input type="radio" name="outcome" value={o} checked={outcome === o} onChange={() => setOutcome(o)} data-testid={`outcome-${o}`} />
                  <span>{t(`conflicts.outcomes.${o}`)}</span>
                </label>
              ))}
            </fieldset>
          ) : null}
          <div className="adm-form-row">
            {oversold ? (
              <label className="adm-field">
                <span>{t('conflicts.counted')}</span>
                <input className="input" type="number" min={0} step={1} value={counted} onChange={(e) => setCounted(e.target.value)} aria-invalid={!countedOk} data-testid="resolve-counted" />
                <small className="hint">{t('conflicts.countedHelp')}</small>
              </label>
            ) : null}
            <label className="adm-field adm-grow">
              <span>{t('common.note')}</span>
              <input className="input" value={note} onChange={(e) => setNote(e.target.value)} maxLength={1000} data-testid="resolve-note" />
            </label>
          </div>
          <ErrorBanner error={error} />
          <button type="submit" className="btn btn-primary" disabled={busy || !canSubmit} data-testid="resolve">
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
          {conflict.resolution && typeof conflict.resolution.outcome === 'string' ? (
            <p data-testid="resolution-outcome" data-outcome={conflict.resolution.outcome}>
              {t(`conflicts.outcomes.${conflict.resolution.outcome}`, { defaultValue: conflict.resolution.outcome })}
              {typeof conflict.resolution.delta === 'number' && conflict.resolution.delta !== 0 ? ` (${conflict.resolution.delta > 0 ? '+' : ''}${conflict.resolution.delta})` : ''}
            </p>
          ) : null}
          {conflict.resolution && typeof conflict.resolution.note === 'string' && conflict.resolution.note !== '' ? <blockquote>{conflict.resolution.note}</blockquote> : null}
        </div>
      )}
    </article>
  )
}

function TicketsInvolved({ tickets }: { tickets: NonNullable<Conflict['tickets']> }) {
  const { t, i18n } = useTranslation('admin')
  return (
    <div data-testid="conflict-tickets">
      <h3>{t('conflicts.tickets')}</h3>
      <div className="adm-sides adm-tickets">
        {tickets.map((tk) => (
          <div key={tk.id} className="adm-side" data-ticket-id={tk.id}>
            <h4>
              {tk.terminalId} · {formatDateTime(tk.clientTime, i18n.language)}{' '}
              <span className={`adm-pill ${tk.status === 'accepted' ? 'ok' : tk.status === 'review' ? 'warn' : 'danger'}`}>{t(`conflicts.ticketStatus.${tk.status}`, { defaultValue: tk.status })}</span>
            </h4>
            <table className="adm-table adm-table-compact">
              <tbody>
                {(tk.lines ?? []).map((l) => (
                  <tr key={l.lineId}>
                    <td>{l.qty} ×</td>
                    <td>{l.name}</td>
                    <td className="num">
                      <Money cents={l.total} />
                    </td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <td colSpan={2}>{t(`payment.${tk.paymentMethod}`, { defaultValue: tk.paymentMethod })}</td>
                  <td className="num">
                    <Money cents={tk.total} />
                  </td>
                </tr>
              </tfoot>
            </table>
          </div>
        ))}
      </div>
    </div>
  )
}
