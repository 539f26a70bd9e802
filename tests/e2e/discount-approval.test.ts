/**
 * A discount past the store's limit in Chromium (issue 16): the limit set in the settings
 * reaches the terminal; offline, a 25 % ticket discount (limit 10 %) asks a manager's PIN
 * on the pad before charging; the approval travels in the ticket and the projection
 * accepts the sale with no `discount_unapproved` flag, priced to the cent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { sql } from 'drizzle-orm'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { TerminalPage } from './browser.ts'
import { closeBrowserStack, openBrowserStack } from './browser-stack.ts'
import { P, rows, STORE, until, type Stack } from './stack.ts'

for (const backend of testBackends()) describe(`discount approval in Chromium (${backend.name})`, () => {
  let database: TestDatabase
  let stack: Stack
  let browser: Browser
  beforeAll(async () => {
    ;({ database, stack, browser } = await openBrowserStack(backend))
  }, 240_000)
  afterAll(() => closeBrowserStack({ database, stack, browser }))

  const admin = async (method: string, path: string, body?: unknown): Promise<any> => {
    const token = await stack.relay.token({ role: 'admin', store: STORE, sub: 'owner' })
    const res = await fetch(`${stack.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
    return res.json()
  }

  it('[TAX18][TAX8][TAX20] offline, 25 % off past a 10 % limit asks a manager PIN on the pad; the approval is in the projected ticket, which is not flagged', async () => {
    await admin('PUT', '/settings', { discounts: { maxWithoutApprovalPct: 10 } })
    const marta = await admin('POST', '/staff', { name: 'Marta', role: 'manager', pin: '4321' })
    await admin('POST', '/staff', { name: 'Ana', role: 'bartender', pin: '1111' })
    const t = await TerminalPage.open(browser, stack.url, await stack.terminalToken('barra-descuento'))
    const page = t.page
    const type = async (pin: string) => {
      for (const d of pin) await page.getByTestId(`pin-${d}`).click()
      await page.getByTestId('pin-ok').click()
    }
    try {
      await t.waitCatalog()
      await page.locator('[data-testid="pin-pad"][data-purpose="cashier"]').waitFor()
      await type('1111')
      await page.getByTestId('pin-pad').waitFor({ state: 'detached' })
      await t.add(P.gin.name, 2)
      await t.net.setOnline(false)
      await until('offline', async () => (await t.status()) !== 'online')
      await page.getByTestId('checkout').click()
      await page.locator('[data-testid="pay-dialog"][data-phase="pay"]').waitFor()
      await page.getByTestId('discounts-toggle').click()
      await page.getByTestId('discount-ticket-value').fill('25')
      // The dialog says a manager approves it, before anyone presses Charge.
      await page.getByTestId('discount-approval').waitFor()
      expect(await page.getByTestId('part-1').getAttribute('data-cents')).toBe(String(2 * P.gin.price * 0.75))
      await page.getByTestId('part-1-cash').click()
      await page.getByTestId('pay-confirm').click()
      await page.locator('[data-testid="pin-pad"][data-action="discount"]').waitFor()
      await t.screenshot('pin-pad-discount')
      await type('4321')
      await page.locator('[data-testid="pay-dialog"][data-phase="receipt"]').waitFor()
      const id = await t.lastTicketId()
      expect(await page.getByTestId('receipt-total').getAttribute('data-cents')).toBe(String(2 * P.gin.price * 0.75))
      await page.getByTestId('receipt-done').click()

      await t.net.setOnline(true)
      type Row = { status: string; total: unknown; discount_cents: unknown; reasons: Array<{ code: string }>; approvals: Array<{ action: string; staffId: string }> }
      const row = await until('projected', async () => {
        const r = await rows<Row>(database, sql`select status, total, discount_cents, reasons, approvals from tickets where id = ${id}`)
        return r[0]
      }, 90_000)
      expect(row.status).toBe('accepted')
      expect(row.reasons.map((r) => r.code)).not.toContain('discount_unapproved')
      expect(Number(row.total)).toBe(2 * P.gin.price * 0.75)
      expect(Number(row.discount_cents)).toBe(2 * P.gin.price * 0.25)
      expect(row.approvals.map((a) => [a.action, a.staffId])).toEqual([['discount', marta.id]])
    } finally {
      await t.context.close()
    }
  }, 240_000)
})
