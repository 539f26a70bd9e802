import { useEffect, useRef, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { createSyncClient } from '@tally/client'
import { cartTotal, readCartLines } from '@tally/schema'
import { setLanguage, type Language } from '../i18n/index.ts'
import { CatalogGrid } from './catalog-grid.tsx'
import { useFinePointer } from './fine-pointer.ts'
import { formatMoney } from './money.ts'
import { Pairing } from './pairing.tsx'
import { PinPadHost, ShiftControl } from './pin-pad.tsx'
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
    // Stock allowances are asked for at this page's origin (the relay serves both).
    tm.connectAllowances(location.origin)
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

/** Info notices clear themselves; errors stay until dismissed or replaced (POS24). */
export const NOTICE_MS = 5_000

function PosScreen() {
  const term = useTerminal()
  const { t, i18n } = useTranslation()
  const fine = useFinePointer()
  const [view, setView] = useState<View>('sell')
  const [menuOpen, setMenuOpen] = useState(false)
  // On a phone the tab is a sheet over the products, opened from the bottom bar (POS20).
  const [cartOpen, setCartOpen] = useState(false)
  const searchRef = useRef<HTMLInputElement>(null)
  const braceletRef = useRef<HTMLInputElement>(null)
  // The last sale's ticket id stays readable after its notice cleared itself.
  const lastTicket = useRef<string | null>(null)
  const notice = term.notice
  if (notice?.params?.ticketId !== undefined) lastTicket.current = String(notice.params.ticketId)

  useEffect(() => {
    if (notice === null || notice.kind === 'error') return
    const id = setTimeout(() => {
      if (term.notice === notice) term.clearNotice()
    }, NOTICE_MS)
    return () => clearTimeout(id)
  }, [notice, term])

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
      else if (e.key === 'F3') go(() => (setCartOpen(true), focus(braceletRef)))
      else if (e.key === 'F9') go(() => document.querySelector<HTMLButtonElement>('[data-testid="checkout"]')?.click())
      else if (e.key === 'F10') go(() => setView((v) => (v === 'sell' ? 'tickets' : 'sell')))
      else if (e.key === 'Escape') setCartOpen(false)
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [])

  const authRequired = term.client.status === 'auth-required'
  const unsettled = term.pendingSales
  const status = term.client.status
  const offline = status === 'offline' || (status === 'connecting' && term.client.failures > 0)
  return (
    <div className={`pos ${view === 'sell' ? 'pos-sell' : ''}`} data-testid="pos" data-last-ticket-id={lastTicket.current ?? undefined}>
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
        <button
          type="button"
          className="btn menu-toggle"
          data-testid="menu"
          aria-expanded={menuOpen}
          aria-controls="pos-menu"
          aria-label={t('nav.menu')}
          onClick={() => setMenuOpen((o) => !o)}
        >
          ☰
        </button>
        <StatusWidget />
        <div id="pos-menu" className={`menu ${menuOpen ? 'open' : ''}`}>
          {term.staffInUse ? (
            <ShiftControl term={term} />
          ) : (
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
          )}
          <select className="lang" aria-label={t('nav.language')} value={i18n.language} onChange={(e) => setLanguage(e.target.value as Language)}>
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
        </div>
      </header>
      {offline && !authRequired && (
        <p className="offline-banner" role="status" data-testid="offline-banner">
          {t('offline.banner')}
        </p>
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
          <div className={`cart-sheet ${cartOpen ? 'open' : ''}`} data-testid="cart-sheet" data-open={cartOpen}>
            <button type="button" className="btn sheet-back" data-testid="cart-close" onClick={() => setCartOpen(false)}>
              ← {t('bar.back')}
            </button>
            <TabPanel braceletRef={braceletRef} onCharged={() => setCartOpen(false)} />
          </div>
          {!cartOpen && <BottomBar onOpen={() => setCartOpen(true)} />}
        </main>
      ) : (
        <main className="tickets-view">
          <TicketsList />
        </main>
      )}
      <PinPadHost />
      <div className={`toasts ${view === 'sell' && !cartOpen ? 'over-bar' : ''}`} aria-live="polite">
        {notice !== null && (
          <div
            className={`notice notice-${notice.kind}`}
            role={notice.kind === 'error' ? 'alert' : 'status'}
            data-testid="notice"
            data-key={notice.key}
            data-ticket-id={notice.params?.ticketId}
            onClick={() => term.clearNotice()}
          >
            <span>
              {t(notice.key, {
                ...notice.params,
                total: typeof notice.params?.total === 'number' ? formatMoney(notice.params.total, i18n.language) : undefined,
                // Offline policy limits on money (issue 16) are cents too.
                ...(/_(sale|unsynced)_value$/.test(notice.key) && typeof notice.params?.value === 'number' && typeof notice.params.max === 'number'
                  ? { value: formatMoney(notice.params.value, i18n.language), max: formatMoney(notice.params.max, i18n.language) }
                  : {}),
              })}
            </span>
            <button type="button" className="notice-x" aria-label="OK">
              ×
            </button>
          </div>
        )}
      </div>
      {fine && (
        <footer className="keys" aria-hidden="true" data-testid="key-hints">
          F2 {t('keys.search')} · F3 {t('keys.bracelet')} · F9 {t('keys.charge')} · F10 {t('keys.tickets')}
        </footer>
      )}
    </div>
  )
}

/** Phone only (CSS): the tab's total, item count and Charge stay under the thumb (POS20). */
function BottomBar({ onOpen }: { onOpen: () => void }) {
  const term = useTerminal()
  const { t, i18n } = useTranslation()
  const cur = term.current
  const lines = cur === null || term.opening !== null ? [] : readCartLines(cur.cart)
  const count = lines.reduce((n, l) => n + l.qty, 0)
  const total = cartTotal(lines)
  return (
    <div className="bottom-bar" data-testid="bottom-bar" data-count={count} data-cents={total}>
      <button type="button" className="bar-tab" data-testid="bar-open" onClick={onOpen}>
        <b>{term.opening?.label ?? cur?.label ?? ''}</b>
        <span>{t('bar.items', { count })}</span>
      </button>
      <button type="button" className="btn btn-primary bar-charge" data-testid="bar-charge" onClick={onOpen}>
        {t('bar.charge', { total: formatMoney(total, i18n.language) })}
      </button>
    </div>
  )
}
