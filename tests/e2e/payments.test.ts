/**
 * Payments in Chromium (issue 15): a cash sale with a tip and change due, a bill split by
 * line paid two ways (card with a tip, cash with change), a bill in three equal parts
 * (the remainder cent on the first), the receipt printed (print media screenshot) and
 * opened at its public link; then the projected rows and the takings report, to the cent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { sql } from 'drizzle-orm'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { SCREENSHOTS, TerminalPage } from './browser.ts'
import { closeBrowserStack, openBrowserStack } from './browser-stack.ts'
import { P, rows, STORE, until, type Stack } from './stack.ts'

for (const backend of testBackends()) describe(`payments in Chromium (${backend.name})`, () => {
  let database: TestDatabase
  let stack: Stack
  let browser: Browser
  beforeAll(async () => {
    ;({ database, stack, browser } = await openBrowserStack(backend))
  }, 240_000)
  afterAll(() => closeBrowserStack({ database, stack, browser }))

  it('[POS30][POS31][POS32][PRJ30][API40][API41] cash with change and a tip, a split paid two ways, equal parts; printed and digital receipt; rows and takings to the cent', async () => {
    const t = await TerminalPage.open(browser, stack.url, await stack.terminalToken('barra-pagos'))
    const page = t.page
    const charge = async () => {
      await page.getByTestId('checkout').click()
      await page.locator('[data-testid="pay-dialog"][data-phase="pay"]').waitFor()
    }
    const confirm = async () => {
      await page.getByTestId('pay-confirm').click()
      await page.locator('[data-testid="pay-dialog"][data-phase="receipt"]').waitFor()
      return t.lastTicketId()
    }
    try {
      await t.waitCatalog()

      // 1. Cash: 2 beers + a cola = 9.50, a 1.00 tip, a 20 note: change 9.50.
      await t.add(P.beer.name, 2)
      await t.add(P.cola.name)
      expect(await t.cartTotal()).toBe(950)
      await charge()
      await page.getByTestId('part-1-cash').click()
      await page.getByTestId('part-1-tip').fill('1')
      await page.getByTestId('part-1-quick-2000').click()
      expect(await page.getByTestId('part-1-change').getAttribute('data-cents')).toBe('950')
      // Not enough cash blocks the charge.
      await page.getByTestId('part-1-tendered').fill('10')
      await page.getByTestId('pay-problem').waitFor()
      expect(await page.getByTestId('pay-confirm').isDisabled()).toBe(true)
      await page.getByTestId('part-1-tendered').fill('20')
      const cashId = await confirm()
      expect(await page.getByTestId('receipt-total').getAttribute('data-cents')).toBe('950')
      expect(await page.getByTestId('receipt-change').getAttribute('data-cents')).toBe('950')
      expect(await page.getByTestId('receipt-tip').getAttribute('data-cents')).toBe('100')
      expect(await page.getByTestId('receipt-line').allTextContents()).toEqual([expect.stringContaining('×2'), expect.stringContaining('×1')])
      const link = (await page.getByTestId('receipt-link').getAttribute('href')) ?? ''
      expect(link).toMatch(/\/pos\/receipt\/[A-Za-z0-9_-]{22}$/)
      // The printed receipt: only the receipt on the paper, at receipt-printer width.
      await page.emulateMedia({ media: 'print' })
      const printed = await page.evaluate(() => {
        const r = document.querySelector('[data-testid="receipt"]') as HTMLElement
        const hidden = document.querySelector('[data-testid="receipt-done"]') as HTMLElement
        return { width: r.getBoundingClientRect().width, actions: hidden.getBoundingClientRect().width }
      })
      expect(printed.actions).toBe(0)
      // 72 mm at 96 px per inch.
      expect(Math.round(printed.width)).toBe(Math.round((72 / 25.4) * 96))
      await page.screenshot({ path: join(SCREENSHOTS, 'receipt-print.png') })
      await page.emulateMedia({ media: 'screen' })
      await t.screenshot('receipt-screen')
      await page.getByTestId('receipt-done').click()

      // 2. Split by line: the gin tonic by card with a 0.50 tip, the water in cash from 5.00.
      await t.add(P.gin.name)
      await t.add(P.water.name)
      await charge()
      await page.getByTestId('split-lines').click()
      await page.locator('[data-testid="split-line"]', { hasText: P.water.name }).getByTestId('line-part-2').click()
      expect(await page.getByTestId('part-1').getAttribute('data-cents')).toBe('900')
      expect(await page.getByTestId('part-2').getAttribute('data-cents')).toBe('180')
      await page.getByTestId('part-1-card').click()
      await page.getByTestId('part-1-tip').fill('0,50')
      await page.getByTestId('part-2-cash').click()
      await page.getByTestId('part-2-tendered').fill('5')
      expect(await page.getByTestId('part-2-change').getAttribute('data-cents')).toBe('320')
      await t.screenshot('checkout-split-lines')
      const splitId = await confirm()
      expect(await page.getByTestId('receipt-payment').evaluateAll((els) => els.map((e) => [e.getAttribute('data-method'), e.getAttribute('data-cents')]))).toEqual([
        ['card', '900'],
        ['cash', '180'],
      ])
      await page.getByTestId('receipt-done').click()

      // 3. One beer (3.50) in three equal parts: 1.17 + 1.17 + 1.16; the last in cash from 2.00.
      await t.add(P.beer.name)
      await charge()
      // Escape closes the dialog without charging; Charge opens it again.
      await page.keyboard.press('Escape')
      await until('the dialog to close', async () => (await page.getByTestId('pay-dialog').count()) === 0)
      expect(await t.cartTotal()).toBe(350)
      await charge()
      await page.getByTestId('split-equal').click()
      await page.getByTestId('split-more').click()
      expect(await page.getByTestId('split-count').textContent()).toBe('3')
      const parts = await Promise.all([1, 2, 3].map((i) => page.getByTestId(`part-${i}`).getAttribute('data-cents')))
      expect(parts).toEqual(['117', '117', '116'])
      await page.getByTestId('part-1-card').click()
      await page.getByTestId('part-2-card').click()
      await page.getByTestId('part-3-cash').click()
      await page.getByTestId('part-3-tendered').fill('2')
      expect(await page.getByTestId('part-3-change').getAttribute('data-cents')).toBe('84')
      const equalId = await confirm()
      await page.getByTestId('receipt-done').click()

      // Projected rows: totals are the sales; tips, cash and change in their own columns.
      type Row = { id: string; total: unknown; tip: unknown; tendered: unknown; change_given: unknown; payment_method: string; payments: unknown; status: string }
      const projected = await until('three accepted tickets', async () => {
        const r = await rows<Row>(database, sql`select id, total, tip, tendered, change_given, payment_method, payments, status from tickets where store = ${STORE} order by id`)
        return r.length === 3 && r.every((x) => x.status === 'accepted') ? r : undefined
      }, 90_000)
      const by = new Map(projected.map((r) => [r.id, { total: Number(r.total), tip: Number(r.tip), tendered: r.tendered === null ? null : Number(r.tendered), change: Number(r.change_given), method: r.payment_method, payments: typeof r.payments === 'string' ? JSON.parse(r.payments) : r.payments }]))
      expect(by.get(cashId)).toEqual({ total: 950, tip: 100, tendered: 2000, change: 950, method: 'cash', payments: [{ method: 'cash', amount: 950, tip: 100 }] })
      expect(by.get(splitId)).toEqual({ total: 1080, tip: 50, tendered: 500, change: 320, method: 'split', payments: [{ method: 'card', amount: 900, tip: 50 }, { method: 'cash', amount: 180, tip: 0 }] })
      expect(by.get(equalId)).toMatchObject({ total: 350, tip: 0, tendered: 200, change: 84, method: 'split' })

      // Reports: takings per method, tips apart; the sales report counts no tip.
      const admin = await stack.relay.token({ role: 'admin', store: STORE, sub: 'boss' })
      const get = async (path: string) => (await fetch(`${stack.url}/api/v1${path}`, { headers: { authorization: `Bearer ${admin}` } })).json()
      const takings = (await get('/reports/takings')) as { rows: unknown[]; totals: unknown }
      expect(takings.rows).toEqual([
        { method: 'card', tickets: 2, amount: 900 + 234, tips: 50, takings: 1184 },
        { method: 'cash', tickets: 3, amount: 950 + 180 + 116, tips: 100, takings: 1346 },
      ])
      expect(takings.totals).toEqual({ tickets: 3, sales: 2380, tips: 150, takings: 2530, tendered: 2700, change: 1354 })
      expect(((await get('/reports/sales?by=day')) as { totals: { total: number } }).totals.total).toBe(2380)

      // The digital receipt: public, at the printed link, in a browser with no terminal session.
      const customer = await browser.newContext({ locale: 'en-GB', viewport: { width: 390, height: 844 } })
      try {
        const phone = await customer.newPage()
        await phone.goto(link)
        await phone.getByTestId('receipt-total').waitFor()
        expect(await phone.getByTestId('receipt-total').getAttribute('data-cents')).toBe('950')
        expect(await phone.getByTestId('receipt-change').getAttribute('data-cents')).toBe('950')
        await phone.screenshot({ path: join(SCREENSHOTS, 'receipt-digital.png'), fullPage: true })
        await phone.goto(`${stack.url}/pos/receipt/not-a-real-token-at-all`)
        await phone.getByTestId('receipt-missing').waitFor()
      } finally {
        await customer.close()
      }
    } finally {
      await t.close()
    }
  }, 300_000)
})
