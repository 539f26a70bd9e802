import { useEffect, useRef, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { createSyncClient } from '@tally/client'
import { setLanguage, type Language } from '../i18n/index.ts'
import { CatalogGrid } from './catalog-grid.tsx'
import { formatMoney } from './money.ts'
import { Pairing } from './pairing.tsx'
import { decodeTerminalToken, forgetSession, loadSession, saveSession, takeTokenFromUrl, type TerminalSession } from './session.ts'
import { StatusWidget } from './status-widget.tsx'
import { TabPanel } from './tab-panel.tsx'
import { CASHIER_KEY, Terminal } from './terminal.ts'
import { TicketsList } from './tickets-list.tsx'
import { TerminalContext, useTerminal } from './use-terminal.ts'

function initialSession(): TerminalSession | null {
  const fromUrl = takeTokenFromUrl()
  if (fromUrl !== null) {
    const r = decodeTerminalToken(fromUrl)
    if (r.ok) saveSession(r.value)
  }
  return loadSession()
}

export function wsBase(loc: Location = location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}`
}

declare global {
  interface Window {
    /** For end-to-end tests and the engineer on call: read-only sync facts. */
    __tally?: { pending: () => number; pendingSales: () => number; status: () => string }
  }
}

export function PosApp() {
  const [session, setSession] = useState<TerminalSession | null>(initialSession)
  if (session === null) {
    return (
      <Pairing
        onPaired={(s) => {
          saveSession(s)
          setSession(s)
        }}
      />
    )
  }
  return <TerminalRoot key={`${session.store}/${session.terminalId}`} session={session} />
}

function TerminalRoot({ session }: { session: TerminalSession }) {
  const { t } = useTranslation()
  const [term, setTerm] = useState<Terminal | null>(null)
  const [failed, setFailed] = useState<string | null>(null)
  useEffect(() => {
    const client = createSyncClient({ url: wsBase(), token: session.token })
    const tm = new Terminal(session, client, localStorage.getItem(CASHIER_KEY) ?? '')
    window.__tally = { pending: () => client.pending(), pendingSales: () => tm.pendingSales, status: () => client.status }
    let live = true
    tm.start().then(
      () => live && setTerm(tm),
      (err: unknown) => live && setFailed(String(err)),
    )
    return () => {
      live = false
      tm.destroy()
      void client.destroy()
    }
  }, [session])
  if (failed !== null) return <p className="alert alert-error">{failed}</p>
  if (term === null) return <div className="loading">{t('loading')}</div>
  return (
    <TerminalContext.Provider value={term}>
      <PosScreen />
    </TerminalContext.Provider>
  )
}

type View = 'sell' | 'tickets'

function PosScreen() {
  const term = useTerminal()
  const { t, i18n } = useTranslation()
  const [view, setView] = useState<View>('sell')
  const searchRef = useRef<HTMLInputElement>(null)
  const braceletRef = useRef<HTMLInputElement>(null)

  // Keyboard first: F2 search, F3 bracelet, F9 charge, F10 tickets.
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      const go = (fn: () => void): void => {
        e.preventDefault()
        fn()
      }
      // Focus at once when the field is on screen, so keys typed right after (a fast
      // hand, a scanner) land in it; otherwise once the sell view has rendered.
      const focus = (ref: typeof searchRef): void => {
        setView('sell')
        if (ref.current) ref.current.focus()
        else setTimeout(() => ref.current?.focus())
      }
      if (e.key === 'F2') go(() => focus(searchRef))
      else if (e.key === 'F3') go(() => focus(braceletRef))
      else if (e.key === 'F9') go(() => document.querySelector<HTMLButtonElement>('[data-testid="checkout"]')?.click())
      else if (e.key === 'F10') go(() => setView((v) => (v === 'sell' ? 'tickets' : 'sell')))
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [])

  const authRequired = term.client.status === 'auth-required'
  const unsettled = term.pendingSales
  return (
    <div className="pos" data-testid="pos">
      <header className="topbar">
        <div className="brand">
          <b>Tally</b>
          <span className="who" data-testid="who">
            {term.session.store} · {term.session.terminalId}
          </span>
        </div>
        <nav className="views">
          <button type="button" className={`btn view ${view === 'sell' ? 'active' : ''}`} data-testid="view-sell" onClick={() => setView('sell')}>
            {t('nav.sell')}
          </button>
          <button type="button" className={`btn view ${view === 'tickets' ? 'active' : ''}`} data-testid="view-tickets" onClick={() => setView('tickets')}>
            {t('nav.tickets')}
            {unsettled > 0 && <span className="count">{unsettled}</span>}
          </button>
        </nav>
        <label className="cashier">
          <span>{t('nav.cashier')}</span>
          <input
            className="input"
            data-testid="cashier"
            value={term.cashier}
            maxLength={100}
            placeholder={t('nav.cashierPlaceholder')}
            onChange={(e) => term.setCashier(e.target.value)}
          />
        </label>
        <StatusWidget />
        <select
          className="lang"
          aria-label={t('nav.language')}
          value={i18n.language}
          onChange={(e) => setLanguage(e.target.value as Language)}
        >
          <option value="es">ES</option>
          <option value="en">EN</option>
        </select>
        <button
          type="button"
          className="btn btn-small"
          disabled={term.client.pending() > 0}
          title={t('nav.unpairHelp')}
          onClick={() => {
            if (!confirm(t('nav.unpairConfirm'))) return
            forgetSession()
            location.reload()
          }}
        >
          {t('nav.unpair')}
        </button>
      </header>
      {term.notice !== null && (
        <div
          className={`notice notice-${term.notice.kind}`}
          role="status"
          data-testid="notice"
          data-key={term.notice.key}
          data-ticket-id={term.notice.params?.ticketId}
          onClick={() => term.clearNotice()}
        >
          {t(term.notice.key, {
            ...term.notice.params,
            total: typeof term.notice.params?.total === 'number' ? formatMoney(term.notice.params.total, i18n.language) : undefined,
          })}
        </div>
      )}
      {authRequired ? (
        <Pairing
          current={term.session}
          pending={term.client.pending()}
          onPaired={(s) => {
            saveSession(s)
            void term.rePair(s)
          }}
        />
      ) : view === 'sell' ? (
        <main className="sell">
          <CatalogGrid searchRef={searchRef} />
          <TabPanel braceletRef={braceletRef} />
        </main>
      ) : (
        <main className="tickets-view">
          <TicketsList />
        </main>
      )}
      <footer className="keys" aria-hidden="true">
        F2 {t('keys.search')} · F3 {t('keys.bracelet')} · F9 {t('keys.charge')} · F10 {t('keys.tickets')}
      </footer>
    </div>
  )
}
