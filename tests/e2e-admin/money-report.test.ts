/**
 * The money report on the back office's reports screen, in Chromium (issue 16): a sale
 * with a ticket discount and its partial refund, written as ticket documents to the
 * relay's log and projected; the screen shows the day with the refund on its own column,
 * the discounts and the tax, and the tax per rate, equal to the projected rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import type { Browser } from 'playwright-core'
import { sql } from 'drizzle-orm'
import { pricedLines, ticketDocName, uuidv7, writeSale, type Sale } from '@tally/schema'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { P, rows, STORE, until, type Stack } from '../e2e/stack.ts'
import type { AdminPage } from './admin-page.ts'
import { closeBackOffice, openBackOffice } from './back-office-stack.ts'
import { ADMIN } from './admin-data.ts'

for (const backend of testBackends()) describe(`money report in Chromium (${backend.name})`, () => {
  let database: TestDatabase
  let stack: Stack
  let browser: Browser
  let admin: AdminPage
  beforeAll(async () => {
    ;({ database, stack, browser, admin } = await openBackOffice(backend))
  }, 240_000)
  afterAll(() => closeBackOffice({ admin, browser, stack, database }))

  const sale = (lines: Array<{ p: { id: string; name: string; price: number }; qty: number; taxRate: number }>, extra: Partial<Sale> = {}): Sale => {
    const id = uuidv7()
    const r = pricedLines(
      lines.map((l, i) => ({ lineId: `l${i}`, productId: l.p.id, name: l.p.name, qty: l.qty, unitPrice: l.p.price, taxRate: l.taxRate })),
      extra.discount,
    )
    if (r === null) throw new Error('out of range')
    return { id, storeId: STORE, terminalId: 'barra-1', cashier: 'Ana', clientTime: new Date().toISOString(), lines: r.lines, total: r.priced.total, payment: { method: 'cash', amount: r.priced.total }, visitId: null, bracelet: null, cartId: null, ...extra }
  }

  it('[TAX12][TAX11][TAX21] the reports screen shows sales, the refund on its own, discounts, tax and tax per rate, equal to the projected rows, and a refund to look at', async () => {
    const sold = sale([{ p: P.beer, qty: 4, taxRate: 1000 }, { p: P.gin, qty: 1, taxRate: 2100 }], { discount: { type: 'percentage', value: 1000 } })
    const refund = sale([{ p: P.beer, qty: -1, taxRate: 1000 }], {
      kind: 'refund',
      refundOf: sold.id,
      approvals: [{ action: 'refund', staffId: 'boss', staffName: 'Marta', at: Date.now(), detail: 'one beer' }],
    })
    // A refund naming a ticket that is no sale of this shop: listed to look at.
    const stray = sale([{ p: P.cola, qty: -1, taxRate: 1000 }], { kind: 'refund', refundOf: uuidv7() })
    for (const s of [sold, refund, stray]) {
      const d = new Y.Doc()
      writeSale(d, s)
      await stack.relay.relay.core.log.append([{ doc: ticketDocName(STORE, s.id), store: STORE, updateId: null, bytes: Y.encodeStateAsUpdate(d), actor: 'barra-1' }])
    }
    type Row = { total: unknown; tax: unknown; discount: unknown; refunds: unknown }
    const [want] = await until('both tickets projected', async () => {
      const r = await rows<Row & { n: unknown }>(
        database,
        sql`select count(*) as n, sum(total) as total, sum(tax_cents) as tax, sum(discount_cents) as discount, coalesce(sum(total) filter (where refund_of is not null), 0) as refunds
            from tickets where store = ${STORE} and status = 'accepted' and not voided`,
      )
      return Number(r[0]?.n) === 3 ? r : undefined
    }, 90_000)
    expect(Number(want?.refunds)).toBe(-P.beer.price - P.cola.price)

    await admin.login(ADMIN.email, ADMIN.password)
    await admin.go('reports')
    const foot = admin.page.getByTestId('money-totals')
    await foot.waitFor({ timeout: 30_000 })
    const shown = await foot.evaluate((e) => ({ total: e.getAttribute('data-total'), refunds: e.getAttribute('data-refunds'), tax: e.getAttribute('data-tax'), discounts: e.getAttribute('data-discounts') }))
    expect(shown).toEqual({ total: String(want?.total), refunds: String(-P.beer.price - P.cola.price), tax: String(want?.tax), discounts: String(want?.discount) })
    expect(await admin.page.locator('[data-testid="refund-issues"] li').evaluateAll((els) => els.map((e) => e.getAttribute('data-reason')))).toEqual(['unknown_original'])
    const rates = await admin.page.locator('[data-testid="tax-by-rate"] tr[data-rate]').evaluateAll((els) => els.map((e) => e.getAttribute('data-rate')))
    expect(rates).toEqual(['1000', '2100'])
    await admin.page.getByTestId('money-report').scrollIntoViewIfNeeded()
    await admin.screenshot('admin-money-report')
  }, 180_000)
})
