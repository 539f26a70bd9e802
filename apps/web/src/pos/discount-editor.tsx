/**
 * Discounts in the checkout dialog (issue 16): on the whole ticket or on a line, a
 * percentage or an amount. What the cashier types stays text here; `discountsFrom`
 * turns it into the sale's discounts (or says which entry is not a discount).
 */
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import type { CartLine, Discount } from '@tally/schema'
import { parseDiscount, type SaleDiscounts } from './discounts.ts'

export interface DiscountEntry {
  type: Discount['type']
  text: string
}
/** `ticket` and each line id -> what was typed. */
export type DiscountInputs = Record<string, DiscountEntry>
export const TICKET = 'ticket'

/** The discounts typed, or `bad` naming the entries that are not discounts. */
export function discountsFrom(inputs: DiscountInputs): { discounts: SaleDiscounts; bad: string[] } {
  const out: SaleDiscounts = { lines: {}, ticket: null }
  const bad: string[] = []
  for (const [key, e] of Object.entries(inputs)) {
    if (e.text.trim() === '') continue
    const d = parseDiscount(e.type, e.text)
    if (d === null) bad.push(key)
    else if (key === TICKET) out.ticket = d
    else out.lines[key] = d
  }
  return { discounts: out, bad }
}

function Entry({ id, label, entry, bad, onChange }: { id: string; label: string; entry: DiscountEntry; bad: boolean; onChange: (e: DiscountEntry) => void }) {
  const { t } = useTranslation()
  return (
    <li className="discount-entry" data-testid={`discount-${id}`}>
      <span>{label}</span>
      <span className="discount-type" role="radiogroup">
        {(['percentage', 'amount'] as const).map((type) => (
          <button type="button" key={type} role="radio" aria-checked={entry.type === type} className={`btn btn-small ${entry.type === type ? 'active' : ''}`} data-testid={`discount-${id}-${type}`} onClick={() => onChange({ ...entry, type })}>
            {t(type === 'percentage' ? 'money.percent' : 'money.amount')}
          </button>
        ))}
      </span>
      <input className="input" inputMode="decimal" aria-label={label} aria-invalid={bad} data-testid={`discount-${id}-value`} value={entry.text} placeholder="0" onChange={(e) => onChange({ ...entry, text: e.target.value })} />
    </li>
  )
}

export function DiscountEditor({ lines, inputs, bad, onChange }: { lines: readonly CartLine[]; inputs: DiscountInputs; bad: readonly string[]; onChange: (inputs: DiscountInputs) => void }) {
  const { t } = useTranslation()
  const [open, setOpen] = useState(Object.values(inputs).some((e) => e.text !== ''))
  const entry = (key: string): DiscountEntry => inputs[key] ?? { type: 'percentage', text: '' }
  const set = (key: string, e: DiscountEntry) => onChange({ ...inputs, [key]: e })
  return (
    <fieldset className="pay-discounts" data-testid="discounts">
      <legend>
        <button type="button" className="btn btn-small" aria-expanded={open} data-testid="discounts-toggle" onClick={() => setOpen(!open)}>
          {t('money.discounts')}
        </button>
      </legend>
      {open && (
        <ul>
          <Entry id={TICKET} label={t('money.ticketDiscount')} entry={entry(TICKET)} bad={bad.includes(TICKET)} onChange={(e) => set(TICKET, e)} />
          {lines.map((l) => (
            <Entry key={l.lineId} id={l.lineId} label={t('money.discountLine', { name: `${l.name} ×${l.qty}` })} entry={entry(l.lineId)} bad={bad.includes(l.lineId)} onChange={(e) => set(l.lineId, e)} />
          ))}
        </ul>
      )}
      {bad.length > 0 && (
        <p className="pay-problem" role="alert" data-testid="discount-problem">
          {t('money.badDiscount')}
        </p>
      )}
    </fieldset>
  )
}
