/**
 * The checkout dialog, opened by Charge: one payment or a split (equal parts or by
 * line), per part the method, a tip and for cash the money handed over with quick
 * amounts and the change due; then the receipt with Print and the digital receipt link.
 * Everything is integer cents (payment-plan.ts); one ticket carries every part.
 */
import { useEffect, useRef, useState, type ReactNode } from 'react'
import { createPortal } from 'react-dom'
import { useTranslation } from 'react-i18next'
import { changeDue, type CartLine, type PaymentMethod, type Sale } from '@tally/schema'
import { DiscountEditor, discountsFrom, type DiscountInputs } from './discount-editor.tsx'
import { hasDiscounts, needsApproval, priceWith, saleLinesOf } from './discounts.ts'
import { centsText, parseCents } from './money-input.ts'
import { formatMoney } from './money.ts'
import { partAmounts, planProblem, quickTenders, type PartChoice, type PaymentChoice } from './payment-plan.ts'
import { ReceiptView, receiptFromSale, receiptUrl } from './receipt-view.tsx'
import { useTerminal } from './use-terminal.ts'
import './checkout-dialog.css'

type Mode = 'one' | 'equal' | 'lines'
interface PartInput {
  method: PaymentMethod
  tip: string
  tendered: string
}
/** On <body>, outside the terminal's layout: nothing of it clips or offsets the printed receipt. */
const onBody = (node: ReactNode) => createPortal(node, document.body)
const blank = (method: PaymentMethod): PartInput => ({ method, tip: '', tendered: '' })

export function CheckoutDialog({ method, lines, onClose }: { method: PaymentMethod; lines: readonly CartLine[]; onClose: () => void }) {
  const term = useTerminal()
  const { t, i18n } = useTranslation()
  const money = (c: number): string => formatMoney(c, i18n.language)
  const [mode, setMode] = useState<Mode>('one')
  const [inputs, setInputs] = useState<PartInput[]>([blank(method), blank(method === 'visit' ? 'card' : method)])
  const [count, setCount] = useState(2)
  const [assign, setAssign] = useState<Record<string, number>>({})
  const [sale, setSale] = useState<Sale | null>(null)
  const [discountInputs, setDiscountInputs] = useState<DiscountInputs>({})
  const confirmRef = useRef<HTMLButtonElement>(null)
  useEffect(() => confirmRef.current?.focus(), [])
  // Escape closes, as any dialog (the sale, once made, stays made).
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') onClose()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [onClose])

  // Discounts (issue 16) priced by the schema's rule: the totals here are the ticket's.
  const { discounts, bad: badDiscounts } = discountsFrom(discountInputs)
  const fullLines = saleLinesOf(lines)
  const pricedSale = priceWith(fullLines, discounts)
  const saleLines: Sale['lines'] = pricedSale?.lines ?? fullLines
  const total = saleLines.reduce((s, l) => s + l.total, 0)
  const approval = needsApproval(fullLines, discounts, term.discountLimitPct)
  const n = mode === 'one' ? 1 : count
  const rows = Array.from({ length: n }, (_, i) => inputs[i] ?? blank(i === 0 ? method : 'card'))
  const parsed = rows.map((r) => ({ tip: parseCents(r.tip), tendered: r.tendered === '' ? null : parseCents(r.tendered) }))
  const badInput = rows.some((r, i) => parsed[i]?.tip === null || (r.tendered !== '' && parsed[i]?.tendered === null))
  const choice: PaymentChoice = {
    split: mode === 'one' ? null : mode,
    parts: rows.map((r, i): PartChoice => ({
      method: r.method,
      tip: r.method === 'visit' ? 0 : (parsed[i]?.tip ?? 0),
      tendered: r.method === 'cash' ? (parsed[i]?.tendered ?? null) : null,
      ...(mode === 'lines' ? { lineIds: lines.filter((l) => (assign[l.lineId] ?? 0) === i).map((l) => l.lineId) } : {}),
    })),
  }
  const amounts = partAmounts(total, saleLines, choice)
  const problem = badDiscounts.length > 0 || pricedSale === null ? 'discount' : badInput ? 'short' : planProblem(total, saleLines, choice)

  const edit = (i: number, patch: Partial<PartInput>): void => setInputs((xs) => rows.map((r, j) => (j === i ? { ...r, ...patch } : (xs[j] ?? r))))
  const charge = async (): Promise<void> => {
    if (problem !== null) return
    // Paid to a visit in one go: the visit is charged the total, no cash, no tip.
    const ok = await term.checkout(rows[0]?.method ?? method, choice, hasDiscounts(discounts) ? discounts : undefined)
    if (ok && term.lastSale !== null) setSale(term.lastSale)
  }

  if (sale !== null) {
    return onBody(
      <div className="pay-dialog" role="dialog" aria-modal="true" data-testid="pay-dialog" data-phase="receipt">
        <ReceiptView receipt={receiptFromSale(sale)} link={sale.receiptToken !== undefined ? receiptUrl(sale.receiptToken) : null} />
        <div className="pay-actions no-print">
          <button type="button" className="btn" data-testid="receipt-print" onClick={() => window.print()}>
            {t('receipt.print')}
          </button>
          <button type="button" className="btn btn-primary" data-testid="receipt-done" onClick={onClose}>
            {t('checkout.done')}
          </button>
        </div>
      </div>,
    )
  }

  const methods: PaymentMethod[] = mode === 'one' && method === 'visit' ? ['visit'] : ['cash', 'card']
  return onBody(
    <div className="pay-dialog" role="dialog" aria-modal="true" aria-label={t('checkout.title', { total: money(total) })} data-testid="pay-dialog" data-phase="pay">
      <h2>{t('checkout.title', { total: money(total) })}</h2>
      <DiscountEditor lines={lines} inputs={discountInputs} bad={badDiscounts} onChange={setDiscountInputs} />
      {pricedSale !== null && pricedSale.priced.discount !== 0 && (
        <p className="pay-discount-sum" data-testid="discount-sum" data-cents={pricedSale.priced.discount}>
          {t('money.discount')}: −{money(pricedSale.priced.discount)}
        </p>
      )}
      {approval.needed && (
        <p className="pay-approval" role="status" data-testid="discount-approval">
          {t('money.needsApproval', { pct: approval.pct, limit: term.discountLimitPct })}
        </p>
      )}
      {method !== 'visit' && (
        <div className="pay-modes" role="radiogroup">
          {(['one', 'equal', 'lines'] as const).map((m) => (
            <button type="button" key={m} role="radio" aria-checked={mode === m} className={`btn ${mode === m ? 'active' : ''}`} data-testid={`split-${m}`} onClick={() => setMode(m)}>
              {t(m === 'one' ? 'checkout.one' : m === 'equal' ? 'checkout.equal' : 'checkout.byLine')}
            </button>
          ))}
        </div>
      )}
      {mode !== 'one' && (
        <div className="pay-count">
          <span>{t('checkout.parts')}</span>
          <button type="button" className="btn btn-icon" aria-label={t('checkout.fewer')} data-testid="split-fewer" disabled={count <= 2} onClick={() => setCount(count - 1)}>
            −
          </button>
          <b data-testid="split-count">{count}</b>
          <button type="button" className="btn btn-icon" aria-label={t('checkout.more')} data-testid="split-more" disabled={count >= 20} onClick={() => setCount(count + 1)}>
            +
          </button>
        </div>
      )}
      {mode === 'lines' && (
        <ul className="pay-lines">
          {lines.map((l) => (
            <li key={l.lineId} data-testid="split-line">
              <span>
                {l.name} ×{l.qty} · {money(saleLines.find((x) => x.lineId === l.lineId)?.total ?? l.qty * l.unitPrice)}
              </span>
              <span className="pay-line-parts">
                {rows.map((_, i) => (
                  <button type="button" key={i} className={`btn btn-small ${(assign[l.lineId] ?? 0) === i ? 'active' : ''}`} aria-pressed={(assign[l.lineId] ?? 0) === i} data-testid={`line-part-${i + 1}`} onClick={() => setAssign({ ...assign, [l.lineId]: i })}>
                    {i + 1}
                  </button>
                ))}
              </span>
            </li>
          ))}
        </ul>
      )}
      {rows.map((r, i) => {
        const due = amounts[i] ?? 0
        const tip = choice.parts[i]?.tip ?? 0
        const tendered = choice.parts[i]?.tendered ?? null
        const change = tendered === null ? null : changeDue(due, tendered, tip)
        return (
          <fieldset className="pay-part" key={i} data-testid={`part-${i + 1}`} data-cents={due}>
            <legend>{n > 1 ? t('checkout.part', { n: i + 1, amount: money(due) }) : money(due)}</legend>
            <div className="methods">
              {methods.map((m) => (
                <button type="button" key={m} aria-pressed={r.method === m} className={`btn method ${r.method === m ? 'active' : ''}`} data-testid={`part-${i + 1}-${m}`} onClick={() => edit(i, { method: m })}>
                  {t(`pay.${m}`)}
                </button>
              ))}
            </div>
            {r.method !== 'visit' && (
              <label className="pay-field">
                {t('checkout.tip')}
                <input className="input" inputMode="decimal" data-testid={`part-${i + 1}-tip`} value={r.tip} placeholder="0.00" onChange={(e) => edit(i, { tip: e.target.value })} />
              </label>
            )}
            {r.method === 'cash' && (
              <>
                <label className="pay-field">
                  {t('checkout.tendered')}
                  <input className="input" inputMode="decimal" data-testid={`part-${i + 1}-tendered`} value={r.tendered} placeholder={centsText(due + tip)} onChange={(e) => edit(i, { tendered: e.target.value })} />
                </label>
                <div className="pay-quick">
                  {quickTenders(due + tip).map((q, k) => (
                    <button type="button" key={q} className="btn btn-small" data-testid={`part-${i + 1}-quick-${q}`} onClick={() => edit(i, { tendered: centsText(q) })}>
                      {k === 0 ? t('checkout.exact') : money(q)}
                    </button>
                  ))}
                </div>
                {change !== null && (
                  <p className="pay-change">
                    {t('checkout.change')}{' '}
                    <b data-testid={`part-${i + 1}-change`} data-cents={change}>
                      {money(change)}
                    </b>
                  </p>
                )}
              </>
            )}
          </fieldset>
        )
      })}
      {problem !== null && problem !== 'discount' && (
        <p className="pay-problem" role="alert" data-testid="pay-problem">
          {t(problem === 'short' ? 'checkout.short' : problem === 'unassigned' ? 'checkout.unassigned' : 'checkout.emptyPart')}
        </p>
      )}
      <div className="pay-actions">
        <button type="button" className="btn" data-testid="pay-cancel" onClick={onClose}>
          {t('checkout.cancel')}
        </button>
        <button type="button" ref={confirmRef} className="btn btn-primary" data-testid="pay-confirm" disabled={problem !== null || term.busy} onClick={() => void charge()}>
          {t('checkout.confirm')}
        </button>
      </div>
    </div>,
  )
}
