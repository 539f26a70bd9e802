/**
 * The PIN pad the terminal shows for `Terminal.pinPrompt` (approval.ts): who is selling,
 * or a manager's approval. Digits by tap or keyboard; Enter confirms, Escape cancels. The
 * digits never leave this component except to the check on the device.
 */
import { useEffect, useRef, useState } from 'react'
import { createPortal } from 'react-dom'
import { useTranslation } from 'react-i18next'
import { PIN_MAX_LENGTH } from '@tally/schema'
import type { PinAsk } from './approval.ts'
import type { Terminal } from './terminal.ts'
import { useTerminal } from './use-terminal.ts'
import './pin-pad.css'

type Pending = { ask: PinAsk; resolve: (pin: string | null) => void }

/** Install the pad as the terminal's PIN prompt while mounted. */
export function PinPadHost() {
  const term = useTerminal()
  const [pending, setPending] = useState<Pending | null>(null)
  useEffect(() => {
    term.pinPrompt = (ask) => new Promise<string | null>((resolve) => setPending({ ask, resolve }))
    return () => {
      term.pinPrompt = () => Promise.resolve(null)
    }
  }, [term])
  // Start of shift: once the store's staff is on the device and nobody sells, ask who does
  // (once per opening; later the shift control or the charge asks again).
  const wantSignIn = term.staffInUse && term.seller === null
  const asked = useRef(false)
  useEffect(() => {
    if (!wantSignIn || asked.current) return
    asked.current = true
    void term.signIn()
  }, [wantSignIn, term])
  if (pending === null) return null
  const done = (pin: string | null): void => {
    setPending(null)
    pending.resolve(pin)
  }
  return createPortal(<PinPad key={`${pending.ask.error}-${pending.ask.attemptsLeft}`} ask={pending.ask} onDone={done} />, document.body)
}

function PinPad({ ask, onDone }: { ask: PinAsk; onDone: (pin: string | null) => void }) {
  const { t, i18n } = useTranslation()
  const [pin, setPin] = useState('')
  const box = useRef<HTMLDivElement>(null)
  const final = ask.error === 'locked' || ask.error === 'no_managers' || ask.error === 'no_staff'
  useEffect(() => box.current?.focus(), [])
  const add = (d: string): void => setPin((p) => (p.length < PIN_MAX_LENGTH ? p + d : p))
  const ok = (): void => (final ? onDone(null) : pin.length > 0 ? onDone(pin) : undefined)
  const onKey = (e: React.KeyboardEvent): void => {
    if (/^[0-9]$/.test(e.key)) add(e.key)
    else if (e.key === 'Backspace') setPin((p) => p.slice(0, -1))
    else if (e.key === 'Enter') ok()
    else if (e.key === 'Escape') onDone(null)
    else return
    e.preventDefault()
    e.stopPropagation()
  }
  const error =
    ask.error === null
      ? null
      : ask.error === 'locked'
        ? t('staff.pin.locked', { time: new Date(ask.lockedUntil ?? 0).toLocaleTimeString(i18n.language, { hour: '2-digit', minute: '2-digit' }) })
        : t(`staff.pin.${ask.error}`, { count: ask.attemptsLeft })
  return (
    <div className="pin-pad" role="dialog" aria-modal="true" data-testid="pin-pad" data-purpose={ask.purpose} data-action={ask.action} data-error={ask.error ?? ''} tabIndex={-1} ref={box} onKeyDown={onKey}>
      <h2>{t(ask.purpose === 'cashier' ? 'staff.pin.title_cashier' : 'staff.pin.title_approval')}</h2>
      {ask.action !== undefined && (
        <p className="pin-detail">
          <b>{t(`staff.pin.action_${ask.action}`)}</b> {ask.detail}
        </p>
      )}
      {error !== null && (
        <p className="pin-error" role="alert" data-testid="pin-error">
          {error}
        </p>
      )}
      {!final && (
        <>
          <div className="pin-dots" aria-live="polite" data-testid="pin-dots" data-length={pin.length}>
            {'•'.repeat(pin.length)}
          </div>
          <div className="pin-keys">
            {['1', '2', '3', '4', '5', '6', '7', '8', '9'].map((d) => (
              <button key={d} type="button" className="btn" data-testid={`pin-${d}`} onClick={() => add(d)}>
                {d}
              </button>
            ))}
            <button type="button" className="btn" aria-label={t('staff.pin.clear')} title={t('staff.pin.clear')} onClick={() => setPin('')}>
              C
            </button>
            <button type="button" className="btn" data-testid="pin-0" onClick={() => add('0')}>
              0
            </button>
            <button type="button" className="btn" aria-label="⌫" onClick={() => setPin((p) => p.slice(0, -1))}>
              ⌫
            </button>
          </div>
        </>
      )}
      <div className="pin-actions">
        <button type="button" className="btn" data-testid="pin-cancel" onClick={() => onDone(null)}>
          {t('staff.pin.cancel')}
        </button>
        <button type="button" className="btn btn-primary" data-testid="pin-ok" disabled={!final && pin.length === 0} onClick={ok}>
          {t('staff.pin.ok')}
        </button>
      </div>
    </div>
  )
}

/** Who is selling, and start shift / switch user (in the menu). */
export function ShiftControl({ term }: { term: Terminal }) {
  const { t } = useTranslation()
  const seller = term.seller
  return (
    <div className="shift" data-testid="shift" data-staff-id={seller?.id ?? ''}>
      <span data-testid="shift-who">{seller === null ? t('staff.shift.nobody') : t('staff.shift.who', { name: seller.name })}</span>
      <button type="button" className="btn btn-small" data-testid="shift-sign-in" onClick={() => void term.signIn()}>
        {t(seller === null ? 'staff.shift.signIn' : 'staff.shift.switch')}
      </button>
      {seller !== null && (
        <button type="button" className="btn btn-small" data-testid="shift-sign-out" onClick={() => term.signOut()}>
          {t('staff.shift.signOut')}
        </button>
      )}
    </div>
  )
}
