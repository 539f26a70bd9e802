/**
 * What the terminal shows about its own tickets: their states, how long it follows
 * them, the stock it shows, the visit's consumed amount, and refusal reasons in the
 * bartender's words.
 */
import { describe, expect, it } from 'vitest'
import i18next from 'i18next'
import * as Y from 'yjs'
import { ReasonCode } from '@tally/projections'
import { ErrorCode, addConsumption, uuidv7, type Product } from '@tally/schema'
import { en } from '../i18n/en.ts'
import { es } from '../i18n/es.ts'
import { formatMoney } from './money.ts'
import { ticketState, type Receipt } from './receipts.ts'
import { reasonText } from './reason-text.ts'
import { shownStock, unconfirmedSold } from './stock-view.ts'
import { FOLLOW_MS, MAX_FOLLOWED, toSettle } from './ticket-follow.ts'
import { shownConsumed } from './visit-consumed.ts'

const BEER: Product = { id: uuidv7(), name: 'Caña', category: 'Bebidas', price: 380, taxRate: 1000, active: true, stock: 3 }
const GIN: Product = { id: uuidv7(), name: 'Gin tonic', category: 'Bebidas', price: 900, taxRate: 2100, active: false, stock: 10 }

const receipt = (over: Partial<Receipt> = {}): Receipt => ({
  id: uuidv7(),
  cartId: uuidv7(),
  at: new Date().toISOString(),
  total: 350,
  method: 'cash',
  label: '',
  visitId: null,
  items: [{ productId: BEER.id, name: BEER.name, qty: 1, unitPrice: 350 }],
  state: 'local',
  reasons: [],
  settled: false,
  ...over,
})

describe('ticket state', () => {
  const none = { pending: 0, durable: true, refusedByRelay: [], verdict: undefined, voided: false }
  it('[POS7] a void made later by an admin shows as voided, whatever the verdict said', () => {
    expect(ticketState({ ...none, verdict: { status: 'accepted', reasons: [] }, voided: true }).state).toBe('voided')
    expect(ticketState({ ...none, voided: true }).state).toBe('voided')
  })
  it('[POS7] a sale waiting for a person shows as waiting for review, not refused', () => {
    const r = ticketState({ ...none, verdict: { status: 'review', reasons: [{ code: 'oversold', message: 'x' }] } })
    expect(r).toEqual({ state: 'review', reasons: [{ code: 'oversold', message: 'x' }] })
  })
  it('[POS7] a later verdict replaces an earlier one', () => {
    expect(ticketState({ ...none, verdict: { status: 'refused', reasons: [] } }).state).toBe('refused')
    expect(ticketState({ ...none, verdict: { status: 'accepted', reasons: [] } }).state).toBe('accepted')
  })
})

describe('following tickets', () => {
  const now = Date.parse('2026-12-01T12:00:00Z')
  const ago = (ms: number): string => new Date(now - ms).toISOString()
  it('[POS8] a judged ticket is followed for 24 h after the sale, then its document is dropped', () => {
    const young = receipt({ state: 'accepted', at: ago(FOLLOW_MS - 60_000) })
    const old = receipt({ state: 'refused', at: ago(FOLLOW_MS + 1) })
    expect(toSettle([young, old], now)).toEqual([old.id])
  })
  it('[POS8] a voided ticket is final at once; review, durable and local ones are followed however old', () => {
    const voided = receipt({ state: 'voided', at: ago(1000) })
    const waiting = [receipt({ state: 'review', at: ago(10 * FOLLOW_MS) }), receipt({ state: 'durable', at: ago(10 * FOLLOW_MS) }), receipt({ state: 'local', at: ago(10 * FOLLOW_MS) })]
    expect(toSettle([voided, ...waiting], now)).toEqual([voided.id])
  })
  it('[POS8] at most MAX_FOLLOWED judged tickets are followed: the oldest go first', () => {
    const list = Array.from({ length: MAX_FOLLOWED + 3 }, (_, i) => receipt({ state: 'accepted', at: ago((i + 1) * 1000) }))
    expect(new Set(toSettle(list, now))).toEqual(new Set(list.slice(MAX_FOLLOWED).map((r) => r.id)))
    expect(toSettle([...list.slice(0, 5), receipt({ state: 'accepted', settled: true, at: ago(1) })], now)).toEqual([])
  })
})

describe('stock shown on the terminal', () => {
  it('[POS15] published stock minus this terminal\'s sales that have no verdict yet', () => {
    const receipts = [
      receipt({ state: 'local', items: [{ productId: BEER.id, name: BEER.name, qty: 1, unitPrice: 380 }] }),
      receipt({ state: 'durable', items: [{ productId: BEER.id, name: BEER.name, qty: 1, unitPrice: 380 }, { productId: GIN.id, name: GIN.name, qty: 2, unitPrice: 900 }] }),
      // Judged (the published level counts it or never will) or never admitted: not subtracted.
      receipt({ state: 'accepted', items: [{ productId: BEER.id, name: BEER.name, qty: 5, unitPrice: 380 }] }),
      receipt({ state: 'refused', items: [{ productId: BEER.id, name: BEER.name, qty: 5, unitPrice: 380 }] }),
      receipt({ state: 'rejected', items: [{ productId: BEER.id, name: BEER.name, qty: 5, unitPrice: 380 }] }),
    ]
    const sold = unconfirmedSold(receipts)
    expect(shownStock(BEER, sold)).toBe(1)
    expect(shownStock(GIN, sold)).toBe(8)
    expect(shownStock({ ...BEER, stock: null }, sold)).toBeNull()
    expect(shownStock(BEER, unconfirmedSold([]))).toBe(3)
  })
})

describe('visit consumed amount shown on the terminal', () => {
  it('[POS16] leaves out tickets known to be refused, voided, a repeat of the same sale or not admitted', () => {
    const visit = new Y.Doc()
    const ids = Array.from({ length: 6 }, () => uuidv7())
    const amounts = [350, 900, 180, 250, 150, 400]
    ids.forEach((id, i) => addConsumption(visit, id, { amount: amounts[i]!, terminalId: 't', at: new Date().toISOString() }))
    const receipts = [
      receipt({ id: ids[0]!, state: 'accepted' }),
      receipt({ id: ids[1]!, state: 'refused', reasons: [{ code: 'visit_closed', message: '' }] }),
      receipt({ id: ids[2]!, state: 'voided' }),
      receipt({ id: ids[3]!, state: 'refused', reasons: [{ code: 'same_sale', message: '' }] }),
      receipt({ id: ids[4]!, state: 'rejected' }),
    ]
    // ids[5] is another terminal's sale: counted, nothing is known against it.
    expect(shownConsumed(visit, receipts)).toBe(350 + 400)
  })
})

describe('refusal reasons in the bartender\'s language', () => {
  const i18n = i18next.createInstance()
  void i18n.init({ resources: { es: { translation: es }, en: { translation: en } }, lng: 'es', interpolation: { escapeValue: false }, initAsync: false })
  const codes = [...Object.values(ReasonCode), ...Object.values(ErrorCode), 'same_sale', 'double_checkout', 'oversold', 'duplicate', 'something_new']
  const sale = receipt({
    total: 1250,
    items: [
      { productId: BEER.id, name: BEER.name, qty: 1, unitPrice: 350 },
      { productId: GIN.id, name: GIN.name, qty: 1, unitPrice: 900 },
    ],
  })
  for (const lng of ['es', 'en'] as const) {
    it(`[POS7] every reason code reads as a sentence in ${lng}, money formatted, never cents or field names`, () => {
      const money = (c: number): string => formatMoney(c, lng)
      const t = i18n.getFixedT(lng) as (k: string, o?: Record<string, unknown>) => string
      const ctx = { receipt: sale, products: [BEER, GIN], money, t }
      for (const code of codes) {
        const text = reasonText({ code, message: 'Caña: sold at 350, catalog 380; lineId 01x' }, ctx)
        // A missing key would come back as the key itself (with its underscore or dot).
        expect(text, code).not.toMatch(/_|\{\{|reason\.|lineId|\b350\b|\b380\b|\b1250\b/)
      }
      expect(reasonText({ code: 'visit_closed', message: '' }, ctx)).toContain(money(1250))
      expect(reasonText({ code: 'inactive_product', message: '' }, ctx)).toContain('Gin tonic')
      expect(reasonText({ code: 'inactive_product', message: '' }, ctx)).not.toContain('Caña')
      const price = reasonText({ code: 'price_changed', message: '' }, ctx)
      expect(price).toContain(money(350))
      expect(price).toContain(money(380))
      expect(price).toContain('Caña')
    })
  }
})
