/**
 * Discounts at checkout on a partitioned terminal (issue 16): the terminal's own code
 * prices the sale with the schema's rule, asks a manager's PIN past the store's limit
 * (published in the catalog's settings) and puts the approval in the ticket.
 */
import { afterEach, describe, expect, it } from 'vitest'
import {
  DEFAULT_STORE_SETTINGS,
  catalogDocName,
  hashPin,
  priceSale,
  readCartLines,
  readCartMeta,
  readSale,
  rosterDocName,
  ticketDocName,
  uuidv7,
  writeStaffMember,
  writeTerminalSettings,
} from '@tally/schema'
import { discountsFrom } from './discount-editor.tsx'
import { applyDiscounts, needsApproval, parseDiscount, saleLinesOf } from './discounts.ts'
import { receiptFromSale } from './receipt-view.tsx'
import { BEER, GIN, STORE, closeTerminal, offlineTerminal } from './pos-testing.ts'
import type { Terminal } from './terminal.ts'

let term: Terminal | null = null
afterEach(async () => {
  if (term) await closeTerminal(term)
  term = null
})

async function terminalWithLimit(limitPct: number): Promise<{ t: Terminal }> {
  const t = await offlineTerminal('barra-1')
  term = t
  const catalog = await t.client.open(catalogDocName(STORE))
  writeTerminalSettings(catalog, { ...DEFAULT_STORE_SETTINGS, discounts: { maxWithoutApprovalPct: limitPct } }, 1)
  const roster = await t.client.open(rosterDocName(STORE))
  writeStaffMember(roster, { id: 'boss', name: 'Marta', role: 'manager', pin: await hashPin('4321', 10_000), active: true })
  // With staff published, the seller signs in by PIN first (h16staff): Ana does.
  writeStaffMember(roster, { id: 'ana', name: 'Ana', role: 'bartender', pin: await hashPin('1111', 10_000), active: true })
  return { t }
}

describe('discounts at checkout', () => {
  it('[TAX16] typed discounts: "10" is 10 %, "1,50" an amount of 150 cents; past 100 %, zero or text is not a discount', () => {
    expect(parseDiscount('percentage', '10')).toEqual({ type: 'percentage', value: 1000 })
    expect(parseDiscount('percentage', '12,5')).toEqual({ type: 'percentage', value: 1250 })
    expect(parseDiscount('percentage', '100.01')).toBeNull()
    expect(parseDiscount('percentage', '0')).toBeNull()
    expect(parseDiscount('amount', '1,50')).toEqual({ type: 'amount', value: 150 })
    expect(parseDiscount('amount', 'abc')).toBeNull()
    expect(discountsFrom({ ticket: { type: 'percentage', text: '5' }, l1: { type: 'amount', text: 'x' }, l2: { type: 'amount', text: '' } })).toEqual({
      discounts: { lines: {}, ticket: { type: 'percentage', value: 500 } },
      bad: ['l1'],
    })
  })

  it('[TAX17] a discount within the limit needs no PIN; the ticket carries it, priced to the cent, and the receipt shows discount and VAT per rate', async () => {
    const { t } = await terminalWithLimit(10)
    t.pinPrompt = (ask) => {
      if (ask.purpose === 'cashier') return Promise.resolve('1111')
      throw new Error('no manager PIN should be asked')
    }
    t.addProduct(BEER, 3)
    t.addProduct(GIN)
    const cart = t.current!.cart
    const beerLine = saleLinesOf(readCartLines(cart)).find((l) => l.productId === BEER.id)!
    const discounts = { lines: { [beerLine.lineId]: { type: 'percentage' as const, value: 500 } }, ticket: { type: 'amount' as const, value: 50 } }
    expect(await t.checkout('cash', undefined, discounts)).toBe(true)
    const sale = t.lastSale!
    const doc = await t.client.open(ticketDocName(STORE, sale.id))
    const stored = readSale(doc)!
    const priced = priceSale(stored.lines, stored.discount)
    expect(priced.ok).toBe(true)
    if (!priced.ok) return
    // 3 x 3.50 - 5 % (52.5 -> 53) = 9.97, plus 9.00; 0.50 off the ticket split 9.97 : 9.00 -> 26.28 + 23.72 -> 26 + 24.
    expect(Object.fromEntries(stored.lines.map((l) => [l.productId, l.total]))).toEqual({ [BEER.id]: 997 - 26, [GIN.id]: 900 - 24 })
    expect(stored.total).toBe(997 + 900 - 50)
    expect(stored.payment.amount).toBe(stored.total)
    expect(stored.lines.map((l) => l.total)).toEqual(priced.value.lines.map((l) => l.total))
    expect(stored.approvals ?? []).toEqual([])
    expect(stored.cashierId).toBe('ana')
    const receipt = receiptFromSale(stored)
    expect(receipt.discount).toBe(53 + 50)
    // VAT inside: beer 9.71 at 10 % -> 88.27 -> 88; gin 8.76 at 21 % -> 152.03 -> 152.
    expect(receipt.taxes).toEqual([
      { rate: 1000, tax: 88, net: 971 - 88 },
      { rate: 2100, tax: 152, net: 876 - 152 },
    ])
  })

  it('[TAX8][TAX18] past the store limit a manager PIN approves the discount, offline, and the approval travels in the ticket; cancelled, nothing is charged', async () => {
    const { t } = await terminalWithLimit(10)
    const answers: Array<string | null> = [null]
    t.pinPrompt = (ask) => (ask.purpose === 'cashier' ? Promise.resolve('1111') : Promise.resolve(answers.length > 0 ? (answers.shift() as string | null) : null))
    t.addProduct(GIN, 2)
    const cartId = t.current!.cartId
    const big = { lines: {}, ticket: { type: 'percentage' as const, value: 2500 } }
    expect(needsApproval(saleLinesOf(readCartLines(t.current!.cart)), big, 10)).toEqual({ needed: true, pct: 25 })
    expect(await t.checkout('card', undefined, big)).toBe(false)
    expect(t.notice?.key).toBe('money.approvalRefused')
    expect(readCartMeta(t.current!.cart).checkedOut).toBeNull()
    expect(t.current!.cartId).toBe(cartId)
    answers.push('4321')
    expect(await t.checkout('card', undefined, big)).toBe(true)
    const stored = readSale(await t.client.open(ticketDocName(STORE, t.lastSale!.id)))!
    expect(stored.total).toBe(1800 - 450)
    expect(stored.discount).toEqual({ type: 'percentage', value: 2500 })
    expect(stored.approvals).toEqual([expect.objectContaining({ action: 'discount', staffId: 'boss', staffName: 'Marta', detail: 'discount 25 % (limit 10 %)' })])
  })

  it('[TAX6] applying discounts never writes a total the lines do not sum to, and a discount past a line is capped at the line', () => {
    const sale = {
      id: uuidv7(), storeId: STORE, terminalId: 't', cashier: '', clientTime: '2026-12-01T22:00:00.000Z', visitId: null, bracelet: null, cartId: null,
      lines: [{ lineId: 'a', productId: 'p', name: 'Caña', qty: 1, unitPrice: 350, taxRate: 1000, total: 350 }],
      total: 350, payment: { method: 'cash' as const, amount: 350 },
    }
    const out = applyDiscounts(sale, { lines: { a: { type: 'amount', value: 1000 } }, ticket: null })!
    expect(out.lines[0]?.total).toBe(0)
    expect(out.total).toBe(0)
    expect(out.lines[0]?.discount).toEqual({ type: 'amount', value: 1000 })
  })
})
