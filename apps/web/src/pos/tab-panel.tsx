import { useState, type FormEvent, type RefObject } from 'react'
import { useTranslation } from 'react-i18next'
import { cartTotal, readCartLines, readRoster, type CartLine, type PaymentMethod } from '@tally/schema'
import { CheckoutDialog } from './checkout-dialog.tsx'
import { formatMoney } from './money.ts'
import { useTerminal } from './use-terminal.ts'
import { shownConsumed } from './visit-consumed.ts'

const METHODS: readonly PaymentMethod[] = ['cash', 'card', 'visit']

/**
 * Two terminals adding the same product at once each create a line; the bartender sees
 * one row per product and price (the ticket keeps both lines, the total is the same).
 */
export function groupLines(lines: readonly CartLine[]): CartLine[] {
  const out = new Map<string, CartLine>()
  for (const l of lines) {
    const key = `${l.productId}|${l.unitPrice}`
    const prev = out.get(key)
    out.set(key, prev === undefined ? { ...l } : { ...prev, qty: prev.qty + l.qty })
  }
  return [...out.values()]
}

export function TabPanel({ braceletRef }: { braceletRef: RefObject<HTMLInputElement | null> }) {
  const term = useTerminal()
  const { t, i18n } = useTranslation()
  const money = (c: number): string => formatMoney(c, i18n.language)
  const [code, setCode] = useState('')
  const [joinId, setJoinId] = useState('')
  const [method, setMethod] = useState<PaymentMethod>('cash')
  const [paying, setPaying] = useState(false)
  const cur = term.current
  const opening = term.opening
  // While a tab opens, the previous tab's lines are not on screen: taps wait for the new one.
  const lines = cur === null || opening !== null ? [] : groupLines(readCartLines(cur.cart))
  const queued = opening === null ? [] : groupLines(opening.taps.map((x, i) => ({ lineId: String(i), productId: x.product.id, name: x.product.name, unitPrice: x.product.price, taxRate: x.product.taxRate, qty: x.delta })))
  const others = opening === null && cur !== null ? term.visitTabs().filter((x) => x.cartId !== cur.cartId && readCartLines(x.cart).length > 0) : []
  const total = cartTotal(lines)
  const onVisit = cur !== null && cur.visitId !== null
  // The roster is the server's word on open visits: warn when this tab's visit left it.
  const visitClosed =
    onVisit && term.roster !== null && !readRoster(term.roster).some((v) => v.id === cur.visitId && v.exitAt === null)
  const payWith: PaymentMethod = method === 'visit' && !onVisit ? 'cash' : method

  const scan = (e: FormEvent): void => {
    e.preventDefault()
    const c = code
    setCode('')
    void term.scanBracelet(c)
  }
  const join = (e: FormEvent): void => {
    e.preventDefault()
    void term.openTabById(joinId)
    setJoinId('')
  }

  return (
    <section className="tab-panel" aria-label={t('tab.title')} data-testid="tab-panel" data-busy={term.busy}>
      <form className="scan" onSubmit={scan}>
        <label htmlFor="bracelet">{t('tab.bracelet')}</label>
        <input
          id="bracelet"
          ref={braceletRef}
          className="input"
          data-testid="bracelet"
          autoComplete="off"
          inputMode="text"
          placeholder={t('tab.scanHere')}
          value={code}
          onChange={(e) => setCode(e.target.value)}
          aria-keyshortcuts="F3"
        />
      </form>

      <nav className="tabs" aria-label={t('tab.openTabs')} data-testid="tabs">
        {term.tabs.map((tab) => (
          <span key={tab.cartId} className={`tab-chip ${tab.cartId === cur?.cartId ? 'active' : ''}`}>
            <button type="button" className="chip" data-testid="tab-chip" onClick={() => void term.selectTab(tab.cartId)}>
              {tab.label}
            </button>
            <button type="button" className="chip-x" aria-label={t('tab.close', { label: tab.label })} onClick={() => term.closeTab(tab.cartId)}>
              ×
            </button>
          </span>
        ))}
        <button type="button" className="chip chip-new" data-testid="new-tab" onClick={() => void term.newTab()}>
          + {t('tab.new')}
        </button>
      </nav>

      {opening !== null && (
        <div className="opening" data-testid="opening" data-label={opening.label} data-queued={opening.taps.length}>
          <b>{t('tab.opening', { label: opening.label })}</b>
          {queued.length > 0 && (
            <p className="hint">
              {t('tab.queued', { count: opening.taps.reduce((s, x) => s + x.delta, 0) })}: {queued.map((l) => `${l.qty}× ${l.name}`).join(', ')}
            </p>
          )}
        </div>
      )}
      {cur !== null && opening === null && (
        <div className="tab-head" data-testid="tab" data-cart-id={cur.cartId}>
          <div>
            <h2 data-testid="tab-label">{cur.label}</h2>
            <small className="tab-id" title={t('tab.idHelp')} data-testid="tab-id">
              {cur.cartId}
            </small>
          </div>
          {cur.visit !== null && (
            <div className="visit" data-testid="visit">
              <span>{t('tab.consumed')}</span>
              <b data-testid="consumed" data-cents={shownConsumed(cur.visit, term.tickets.receipts)}>
                {money(shownConsumed(cur.visit, term.tickets.receipts))}
              </b>
            </div>
          )}
        </div>
      )}
      {visitClosed && (
        <p className="alert alert-warning" data-testid="visit-closed">
          {t('tab.visitClosed')}
        </p>
      )}
      {others.length > 0 && (
        <section className="other-tabs" data-testid="other-tabs">
          <b>{t('tab.otherTabs')}</b>
          <ul>
            {others.map((o) => {
              const ls = readCartLines(o.cart)
              return (
                <li key={o.cartId} data-testid="other-tab" data-cart-id={o.cartId} data-cents={cartTotal(ls)}>
                  <span>
                    {t('tab.otherTab', {
                      id: `#${o.cartId.slice(-4)}`,
                      items: t('tab.items', { count: ls.reduce((s, l) => s + l.qty, 0) }),
                      total: money(cartTotal(ls)),
                    })}
                  </span>
                  <span>
                    <button type="button" className="btn btn-small" data-testid="go-tab" onClick={() => void term.selectTab(o.cartId)}>
                      {t('tab.openOther')}
                    </button>{' '}
                    <button type="button" className="btn btn-small btn-primary" data-testid="merge-tab" onClick={() => void term.mergeTab(o.cartId)}>
                      {t('tab.mergeHere')}
                    </button>
                  </span>
                </li>
              )
            })}
          </ul>
        </section>
      )}

      <ul className="lines" data-testid="cart-lines">
        {lines.length === 0 && <li className="empty">{t('tab.empty')}</li>}
        {lines.map((l) => (
          <li key={l.lineId} className="line" data-testid="cart-line" data-product-id={l.productId} data-qty={l.qty}>
            <span className="line-name">{l.name}</span>
            <span className="line-qty">
              <button type="button" className="btn btn-icon" aria-label={t('tab.less')} onClick={() => term.changeLine(l, -1)}>
                −
              </button>
              <b data-testid="line-qty">{l.qty}</b>
              <button type="button" className="btn btn-icon" aria-label={t('tab.more')} onClick={() => term.changeLine(l, 1)}>
                +
              </button>
            </span>
            <span className="line-total">{money(l.qty * l.unitPrice)}</span>
          </li>
        ))}
      </ul>

      <div className="total">
        <span>{t('tab.total')}</span>
        <b data-testid="cart-total" data-cents={total}>
          {money(total)}
        </b>
      </div>

      <div className="methods" role="radiogroup" aria-label={t('pay.method')}>
        {METHODS.map((m) => (
          <button
            type="button"
            key={m}
            role="radio"
            aria-checked={payWith === m}
            disabled={m === 'visit' && !onVisit}
            className={`btn method ${payWith === m ? 'active' : ''}`}
            data-testid={`method-${m}`}
            onClick={() => setMethod(m)}
          >
            {t(`pay.${m}`)}
          </button>
        ))}
      </div>
      <button
        type="button"
        className="btn btn-primary checkout"
        data-testid="checkout"
        disabled={lines.length === 0 || term.busy}
        onClick={() => setPaying(true)}
        aria-keyshortcuts="F9"
      >
        {t('pay.checkout', { total: money(total) })}
      </button>
      {paying && cur !== null && <CheckoutDialog method={payWith} lines={readCartLines(cur.cart)} onClose={() => setPaying(false)} />}

      <form className="join" onSubmit={join}>
        <input
          className="input input-small"
          data-testid="join-id"
          placeholder={t('tab.joinPlaceholder')}
          value={joinId}
          onChange={(e) => setJoinId(e.target.value)}
        />
        <button type="submit" className="btn btn-small" data-testid="join">
          {t('tab.join')}
        </button>
      </form>
    </section>
  )
}
