/**
 * Discounts and tax in Chromium (issue 16): a line discount (an amount) and a ticket
 * discount (a percentage) typed in the checkout dialog, the receipt with the discount and
 * the VAT per rate, then the projected rows and the money report, to the cent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { sql } from 'drizzle-orm'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { TerminalPage } from './browser.ts'
import { closeBrowserStack, openBrowserStack } from './browser-stack.ts'
import { P, rows, STORE, until, type Stack } from './stack.ts'

for (const backend of testBackends()) describe(`discounts and tax in Chromium (${backend.name})`, () => {
  let database: TestDatabase
  let stack: Stack
  let browser: Browser
  beforeAll(async () => {
    ;({ database, stack, browser } = await openBrowserStack(backend))
  }, 240_000)
  afterAll(() => closeBrowserStack({ database, stack, browser }))

  it('[TAX17][TAX11] 1.00 off two beers and 10 % off the ticket: the dialog, the receipt (discount, VAT per rate), the rows and the money report agree to the cent', async () => {
    const t = await TerminalPage.open(browser, stack.url, await stack.terminalToken('barra-descuentos'))
    const page = t.page
    try {
      await t.waitCatalog()
      await t.add(P.beer.name, 2)
      await t.add(P.gin.name)
      expect(await t.cartTotal()).toBe(1600)
      await page.getByTestId('checkout').click()
      await page.locator('[data-testid="pay-dialog"][data-phase="pay"]').waitFor()
      await page.getByTestId('discounts-toggle').click()
      const beerLine = page.locator('li.discount-entry', { hasText: P.beer.name })
      await beerLine.locator('[data-testid$="-amount"]').click()
      await beerLine.locator('input').fill('1')
      await page.getByTestId('discount-ticket-value').fill('10')
      // 2 x 3.50 - 1.00 = 6.00 and 9.00; 10 % of 15.00 off, split 0.60 + 0.90: 13.50.
      await until('the discount to be priced', async () => (await page.getByTestId('discount-sum').getAttribute('data-cents')) === '250')
      expect(await page.getByTestId('part-1').getAttribute('data-cents')).toBe('1350')
      // Not a discount: the charge waits.
      await page.getByTestId('discount-ticket-value').fill('120')
      await page.getByTestId('discount-problem').waitFor()
      expect(await page.getByTestId('pay-confirm').isDisabled()).toBe(true)
      await page.getByTestId('discount-ticket-value').fill('10')
      await page.getByTestId('part-1-card').click()
      await t.screenshot('checkout-discounts')
      await page.getByTestId('pay-confirm').click()
      await page.locator('[data-testid="pay-dialog"][data-phase="receipt"]').waitFor()
      const id = await t.lastTicketId()
      expect(await page.getByTestId('receipt-total').getAttribute('data-cents')).toBe('1350')
      expect(await page.getByTestId('receipt-discount').getAttribute('data-cents')).toBe('250')
      expect(await page.getByTestId('receipt-tax').evaluateAll((els) => els.map((e) => [e.getAttribute('data-rate'), e.getAttribute('data-cents')]))).toEqual([
        ['1000', '49'],
        ['2100', '141'],
      ])
      await t.screenshot('receipt-discount-tax')
      await page.getByTestId('receipt-done').click()

      type Row = { status: string; total: unknown; discount_cents: unknown; tax_cents: unknown }
      const [ticket] = await until('the ticket projected', async () => {
        const r = await rows<Row>(database, sql`select status, total, discount_cents, tax_cents from tickets where id = ${id}`)
        return r.length === 1 && r[0]?.status === 'accepted' ? r : undefined
      }, 90_000)
      expect({ total: Number(ticket?.total), discount: Number(ticket?.discount_cents), tax: Number(ticket?.tax_cents) }).toEqual({ total: 1350, discount: 250, tax: 190 })
      const admin = await stack.relay.token({ role: 'admin', store: STORE, sub: 'boss' })
      const money = (await (await fetch(`${stack.url}/api/v1/reports/money`, { headers: { authorization: `Bearer ${admin}` } })).json()) as { totals: Record<string, number>; taxByRate: unknown }
      expect(money.totals).toMatchObject({ tickets: 1, total: 1350, discounts: 250, tax: 190, net: 1160, refunds: 0 })
      expect(money.taxByRate).toEqual([
        { rate: 1000, total: 540, tax: 49, net: 491 },
        { rate: 2100, total: 810, tax: 141, net: 669 },
      ])
    } finally {
      await t.close()
    }
  }, 180_000)
})
