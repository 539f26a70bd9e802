/**
 * The conflict queue: open (or resolved) conflicts, one selected with both sides' evidence
 * side by side, a strategy and a note, and Resolve. The list follows the live feed's
 * open-conflict count, so a new oversell shows up without a reload.
 */
import { useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { useAdmin } from '../admin-context.ts'
import { kindExplain, kindName, statusName, strategyEffect } from '../conflict-kinds.ts'
import { formatDateTime } from '../format.ts'
import { actorLabel, docLabel, type T } from '../labels.ts'
import { hrefFor, navigate } from '../router.ts'
import { STRATEGIES, type Conflict, type Strategy, listOf } from '../types.ts'
import { ErrorBanner } from '../ui/error-banner.tsx'
import { useLoad } from '../ui/use-load.ts'
import { useNames } from '../ui/use-names.ts'
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
  const names = useNames().products ?? new Map<string, string>()
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
                <span className={`adm-pill ${c.status === 'open' ? 'danger' : c.status === 'resolved' ? 'ok' : 'warn'}`} title={statusName(c.status, t)}>
                  {kindName(c.kind, t)}
                </span>
                <span className="adm-list-sub" data-testid="conflict-summary">
                  {summary(c, names, t, i18n.language)} · {formatDateTime(c.createdAt, i18n.language)}
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

/** "Vermut · Ticket #3f9a1c of barra-1 · 22:14 (+1)": what the conflict is about, by name. */
function summary(c: Conflict, names: ReadonlyMap<string, string>, t: T, locale: string): string {
  const e = c.evidence
  const product = typeof e.productId === 'string' ? (names.get(e.productId) ?? null) : null
  const first = c.docs[0]
  const doc = first !== undefined ? docLabel(c.subjects?.[0], first, t, locale) : null
  const more = c.docs.length > 1 ? ` (+${c.docs.length - 1})` : ''
  return [product, doc !== null ? doc + more : null].filter(Boolean).join(' · ')
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
  // The store's configured strategy is preselected, whatever it is (manual included);
  // one this screen does not know preselects nothing, so the person picks.
  const configured = (STRATEGIES as readonly string[]).includes(conflict.strategy) ? (conflict.strategy as Strategy) : ''
  const picked: Strategy | '' = strategy !== '' ? strategy : configured
  const needsOutcome = picked === 'manual' && !oversold
  const countedOk = counted.trim() === '' || (Number.isInteger(Number(counted)) && Number(counted) >= 0)
  const canSubmit = picked !== '' && countedOk && (!needsOutcome || outcome !== '')
  const effect = (s: string) => strategyEffect(conflict.kind, s, t, deficit)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (picked === '') return
    const chosen = picked
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
        {kindName(conflict.kind, t)} <span className="hint">#{String(conflict.id)}</span>
        {conflict.status !== 'open' && conflict.status !== 'resolved' ? <span className="adm-pill warn">{statusName(conflict.status, t)}</span> : null}
      </h2>
      <p className="hint">{kindExplain(conflict.kind, t)}</p>
      <p className="hint">
        {t('conflicts.detected', { at: formatDateTime(conflict.createdAt, i18n.language) })} · {t('conflicts.configured', { strategy: effect(conflict.strategy).title })}
      </p>
      <EvidenceView evidence={conflict.evidence} productNames={names} />
      {conflict.tickets && conflict.tickets.length > 0 ? <TicketsInvolved tickets={conflict.tickets} /> : null}
      {conflict.docs.length > 0 ? (
        <details>
          <summary>{t('conflicts.docs', { count: conflict.docs.length })}</summary>
          <ul className="adm-docs">
            {conflict.docs.map((d, i) => (
              <li key={d} title={d} data-testid="conflict-doc">
                {docLabel(conflict.subjects?.[i], d, t, i18n.language)}
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
              <label key={s} className={picked === s ? 'adm-radio active' : 'adm-radio'} data-testid={`strategy-option-${s}`}>
                <input type="radio" name="strategy" value={s} checked={picked === s} onChange={() => setStrategy(s)} data-testid={`strategy-${s}`} />
                <span>
                  <b>{effect(s).title}</b>
                  <small className="hint adm-strategy-effect">{effect(s).effect}</small>
                </span>
              </label>
            ))}
          </fieldset>
          {picked === 'manual' ? (
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
              who: actorLabel(conflict.resolvedBy, t),
              at: formatDateTime(conflict.resolvedAt, i18n.language),
              strategy: effect(String(conflict.resolution?.strategy ?? conflict.strategy)).title,
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
              {docLabel({ doc: tk.id, kind: 'ticket', id: tk.id, terminalId: tk.terminalId, clientTime: tk.clientTime }, null, t, i18n.language)}{' '}
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
