/**
 * A receipt as printed and as shown at its public link: the same component, so the
 * paper and the digital receipt never disagree. Print goes through the browser to the
 * receipt printer; receipt.css lays it out for 80 mm (or 58 mm) paper.
 */
import { useTranslation } from 'react-i18next'
import { includedTax, type Sale } from '@tally/schema'
import { formatMoney } from './money.ts'
import './receipt.css'

export interface ReceiptData {
  number: string
  at: string
  lines: Array<{ name: string; qty: number; unitPrice: number; total: number }>
  total: number
  tip: number
  tendered: number | null
  change: number
  payments: Array<{ method: string; amount: number; tip: number }>
  status?: string
  voided?: boolean
  /** Discounts given (cents, positive); absent or 0: none. */
  discount?: number
  /** The VAT inside the total, per rate (prices include tax). */
  taxes?: Array<{ rate: number; tax: number; net: number }>
  refund?: boolean
}

/** The VAT inside each line's total, per rate: the projection's figures (pricing.ts). */
export function taxesOf(lines: ReadonlyArray<{ taxRate: number; total: number }>): NonNullable<ReceiptData['taxes']> {
  const by = new Map<number, { rate: number; tax: number; net: number }>()
  for (const l of lines) {
    if (l.taxRate === 0) continue
    const tax = includedTax(l.total, l.taxRate)
    const b = by.get(l.taxRate) ?? { rate: l.taxRate, tax: 0, net: 0 }
    by.set(l.taxRate, { rate: l.taxRate, tax: b.tax + tax, net: b.net + l.total - tax })
  }
  return [...by.values()].sort((a, b) => a.rate - b.rate)
}

/** The receipt of a sale this terminal just made; same lines grouped by product and price. */
export function receiptFromSale(sale: Sale): ReceiptData {
  const grouped = new Map<string, ReceiptData['lines'][number]>()
  for (const l of sale.lines) {
    const key = `${l.productId}|${l.unitPrice}`
    const g = grouped.get(key)
    // Lines are shown at their price before discounts; the discount is its own row.
    const gross = l.qty * l.unitPrice
    if (g === undefined) grouped.set(key, { name: l.name, qty: l.qty, unitPrice: l.unitPrice, total: gross })
    else grouped.set(key, { ...g, qty: g.qty + l.qty, total: g.total + gross })
  }
  const parts = sale.payment.parts ?? [sale.payment]
  return {
    number: sale.id.slice(-6),
    at: sale.clientTime,
    lines: [...grouped.values()],
    total: sale.total,
    tip: parts.reduce((s, p) => s + (p.tip ?? 0), 0),
    tendered: parts.some((p) => p.tendered !== undefined) ? parts.reduce((s, p) => s + (p.tendered ?? 0), 0) : null,
    change: parts.reduce((s, p) => s + (p.change ?? 0), 0),
    payments: parts.map((p) => ({ method: p.method, amount: p.amount, tip: p.tip ?? 0 })),
    discount: sale.lines.reduce((s, l) => s + l.qty * l.unitPrice - l.total, 0),
    taxes: taxesOf(sale.lines),
    refund: sale.kind === 'refund' || sale.refundOf !== undefined,
  }
}

export const receiptUrl = (token: string): string => `${location.origin}/pos/receipt/${encodeURIComponent(token)}`

export function ReceiptView({ receipt, link, paper = 80 }: { receipt: ReceiptData; link?: string | null; paper?: 58 | 80 }) {
  const { t, i18n } = useTranslation()
  const money = (c: number): string => formatMoney(c, i18n.language)
  const when = new Date(receipt.at).toLocaleString(i18n.language)
  return (
    <article className={`receipt paper-${paper}`} data-testid="receipt" aria-label={t('receipt.title')}>
      <header>
        <b>{t('receipt.number', { number: receipt.number })}</b>
        <span>{when}</span>
      </header>
      {receipt.voided === true && <p className="receipt-warn">{t('receipt.voided')}</p>}
      {receipt.status !== undefined && receipt.status !== 'accepted' && <p className="receipt-warn">{t('receipt.refused')}</p>}
      <ul className="receipt-lines">
        {receipt.lines.map((l, i) => (
          <li key={i} data-testid="receipt-line">
            <span>
              {l.name} ×{l.qty}
            </span>
            <span>{money(l.total)}</span>
          </li>
        ))}
      </ul>
      {receipt.discount !== undefined && receipt.discount !== 0 && (
        <p className="receipt-row">
          <span>{t('money.discount')}</span>
          <span data-testid="receipt-discount" data-cents={receipt.discount}>
            −{money(receipt.discount)}
          </span>
        </p>
      )}
      <p className="receipt-row receipt-total">
        <span>{receipt.refund === true ? t('money.refund') : t('receipt.total')}</span>
        <b data-testid="receipt-total" data-cents={receipt.total}>
          {money(receipt.total)}
        </b>
      </p>
      {(receipt.taxes ?? []).map((x) => (
        <p className="receipt-row receipt-tax" key={x.rate} data-testid="receipt-tax" data-rate={x.rate} data-cents={x.tax}>
          <span>
            {t('money.taxIncluded', { rate: x.rate / 100 })} ({t('money.taxBase', { net: money(x.net) })})
          </span>
          <span>{money(x.tax)}</span>
        </p>
      ))}
      {receipt.payments.map((p, i) => (
        <p className="receipt-row" key={i} data-testid="receipt-payment" data-method={p.method} data-cents={p.amount}>
          <span>{t('receipt.paid', { method: t(`pay.${p.method}`) })}</span>
          <span>{money(p.amount + p.tip)}</span>
        </p>
      ))}
      {receipt.tip > 0 && (
        <p className="receipt-row">
          <span>{t('receipt.tip')}</span>
          <span data-testid="receipt-tip" data-cents={receipt.tip}>
            {money(receipt.tip)}
          </span>
        </p>
      )}
      {receipt.tendered !== null && (
        <>
          <p className="receipt-row">
            <span>{t('receipt.tendered')}</span>
            <span>{money(receipt.tendered)}</span>
          </p>
          <p className="receipt-row">
            <span>{t('receipt.change')}</span>
            <b data-testid="receipt-change" data-cents={receipt.change}>
              {money(receipt.change)}
            </b>
          </p>
        </>
      )}
      {link != null && (
        <p className="receipt-link">
          {t('receipt.digital')}:{' '}
          <a href={link} data-testid="receipt-link">
            {link}
          </a>
        </p>
      )}
      <p className="receipt-thanks">{t('receipt.thanks')}</p>
    </article>
  )
}
