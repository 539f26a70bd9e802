import { useState, type FormEvent, type RefObject } from 'react'
import { useTranslation } from 'react-i18next'
import { cartTotal, readCartLines, readProducts, readRoster, type CartLine, type PaymentMethod } from '@tally/schema'
import { CheckoutDialog } from './checkout-dialog.tsx'
import { useFinePointer } from './fine-pointer.ts'
import { groupLines, itemsText } from './line-groups.ts'
import { formatMoney } from './money.ts'
import { shortCode } from './short-code.ts'
import { useTerminal } from './use-terminal.ts'
import { shownConsumed } from './visit-consumed.ts'

const METHODS: readonly PaymentMethod[] = ['cash', 'card', 'visit']

export function TabPanel({ braceletRef, onCharged }: { braceletRef: RefObject<HTMLInputElement | null>; onCharged?: () => void }) {
  const term = useTerminal()
  const { t, i18n } = useTranslation()
  const fine = useFinePointer()
  const money = (c: number): string => formatMoney(c, i18n.language)
  const [code, setCode] = useState('')
  const [joinId, setJoinId] = useState('')
  const [method, setMethod] = useState<PaymentMethod>('cash')
  const [paying, setPaying] = useState(false)
  const cur = term.current
  const opening = term.opening
  // While a tab opens, the previous tab's lines are not on screen: taps wait for the new one.
  // The catalog's price now marks a row added before a price change (POS22).
  const prices = new Map(term.catalog === null ? [] : readProducts(term.catalog).map((p) => [p.id, p.price]))
  const lines = cur === null || opening !== null ? [] : groupLines(readCartLines(cur.cart), (id) => prices.get(id))
  const queued = opening === null ? [] : opening.taps.map((x) => ({ productId: x.product.id, name: x.product.name, unitPrice: x.product.price, qty: x.delta }))
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
  // Charge opens the checkout dialog (cash tendered, tip, split); it charges on confirm.
  // The phone's tab sheet closes once the tab on screen is another (the sale was made).
  const [payingTab, setPayingTab] = useState<string | null>(null)
  const charge = (): void => {
    setPayingTab(cur?.cartId ?? null)
    setPaying(true)
  }
  const closeDialog = (): void => {
    setPaying(false)
    if (payingTab !== null && term.current?.cartId !== payingTab) onCharged?.()
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
          placeholder={t(fine ? 'tab.scanHereKeys' : 'tab.scanHere')}
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
              {t('tab.queued', { count: opening.taps.reduce((s, x) => s + x.delta, 0) })}: {itemsText(queued)}
            </p>
          )}
        </div>
      )}
      {cur !== null && opening === null && (
        <div className="tab-head" data-testid="tab" data-cart-id={cur.cartId}>
          <div>
            <h2 data-testid="tab-label">{cur.label}</h2>
            <small className="tab-code" title={t('tab.idHelp')}>
              {/* A walk-in tab is named by its code already. */}
              {cur.label !== shortCode(cur.cartId) && <b data-testid="tab-code">{shortCode(cur.cartId)}</b>}{' '}
              <span className="tab-id" data-testid="tab-id">
                {cur.cartId}
              </span>
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
                      id: shortCode(o.cartId),
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
            <span className="line-name">
              {l.name}
              {l.priceNow !== null && (
                <small className="price-changed" data-testid="price-changed" data-was={l.unitPrice} data-now={l.priceNow}>
                  {t('tab.priceChanged', { was: money(l.unitPrice), now: money(l.priceNow) })}
                </small>
              )}
            </span>
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
        onClick={charge}
        aria-keyshortcuts="F9"
      >
        {t('pay.checkout', { total: money(total) })}
        {fine && <kbd className="key-hint">F9</kbd>}
      </button>
      {paying && cur !== null && <CheckoutDialog method={payWith} lines={readCartLines(cur.cart)} onClose={closeDialog} />}

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
