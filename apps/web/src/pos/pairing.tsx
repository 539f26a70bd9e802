import { useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { isExpired, parsePairing, type TerminalSession } from './session.ts'

const RELAY_ERRORS = new Set(['address_without_token', 'bad_address', 'mixed_tokens'])

/**
 * Paste (or scan: a QR scanner types like a keyboard) a terminal token. Used for the first
 * pairing and again when the token expires; in the second case `current` is set and the
 * store must stay the same, because pending sales belong to it.
 */
export function Pairing({
  onPaired,
  current,
  pending = 0,
}: {
  onPaired: (s: TerminalSession) => void
  current?: TerminalSession
  pending?: number
}) {
  const { t } = useTranslation()
  const [raw, setRaw] = useState('')
  const [error, setError] = useState<string | null>(null)
  const decoded = raw.trim() === '' ? null : parsePairing(raw)

  const submit = (e: FormEvent): void => {
    e.preventDefault()
    if (decoded === null) return
    if (!decoded.ok) return setError(t(RELAY_ERRORS.has(decoded.error) ? `relays.error.${decoded.error}` : `pair.error.${decoded.error}`))
    if (isExpired(decoded.value)) return setError(t('pair.error.expired'))
    if (current !== undefined && decoded.value.store !== current.store) return setError(t('pair.error.otherStore', { store: current.store }))
    onPaired(decoded.value)
  }

  return (
    <main className="pairing" data-testid="pairing">
      <form className="card" onSubmit={submit}>
        <h1>{current === undefined ? t('pair.title') : t('pair.again')}</h1>
        {current !== undefined && (
          <p className="alert alert-warning" data-testid="repair-note">
            {t('pair.keepPending', { count: pending })}
          </p>
        )}
        <label htmlFor="token">{t('pair.paste')}</label>
        <textarea
          id="token"
          className="input token"
          data-testid="token"
          rows={4}
          autoFocus
          spellCheck={false}
          value={raw}
          onChange={(e) => {
            setRaw(e.target.value)
            setError(null)
          }}
        />
        {decoded?.ok === true && (
          <p className="hint" data-testid="token-preview">
            {t('pair.preview', { store: decoded.value.store, terminal: decoded.value.terminalId })}
            {decoded.value.exp !== null && ` · ${t('pair.expires', { date: new Date(decoded.value.exp * 1000).toLocaleString() })}`}
          </p>
        )}
        {decoded?.ok === true && decoded.value.fallbacks !== undefined && (
          <ol className="hint" data-testid="relay-list">
            <li>{decoded.value.url ?? t('pair.thisServer')}</li>
            {decoded.value.fallbacks.map((f) => (
              <li key={f.url}>{f.url}</li>
            ))}
          </ol>
        )}
        {error !== null && (
          <p className="alert alert-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="btn btn-primary" data-testid="pair" disabled={decoded === null}>
          {t('pair.submit')}
        </button>
        <p className="hint">
          <a href="/pos/ca" data-testid="ca-link">
            {t('ca.link')}
          </a>
        </p>
      </form>
    </main>
  )
}
