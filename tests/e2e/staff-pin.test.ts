/**
 * The PIN pad in Chromium (issue 16): the terminal asks who is selling as it opens, a
 * bartender's PIN signs them in; offline, lowering a line's quantity asks a manager's
 * PIN (a bartender's is refused on the pad, saying why); the approved void and the seller
 * reach the projected ticket once the terminal is back online.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { sql } from 'drizzle-orm'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { TerminalPage } from './browser.ts'
import { closeBrowserStack, openBrowserStack } from './browser-stack.ts'
import { P, rows, STORE, until, type Stack } from './stack.ts'

for (const backend of testBackends()) describe(`staff PIN pad in Chromium (${backend.name})`, () => {
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

  it('[STF15] the terminal asks who sells by PIN; offline a void asks a manager PIN on the pad (a bartender one is refused, saying why); the seller and the approval reach the projected ticket; a refund from the ticket list asks a manager PIN and is its own ticket', async () => {
    const marta = await admin('POST', '/staff', { name: 'Marta', role: 'manager', pin: '4321' })
    const ana = await admin('POST', '/staff', { name: 'Ana', role: 'bartender', pin: '1111' })
    const t = await TerminalPage.open(browser, stack.url, await stack.terminalToken('barra-pin'))
    const page = t.page
    const type = async (pin: string) => {
      for (const d of pin) await page.getByTestId(`pin-${d}`).click()
      await page.getByTestId('pin-ok').click()
    }
    try {
      await t.waitCatalog()
      // Start of shift: the pad is up, asking who sells.
      await page.locator('[data-testid="pin-pad"][data-purpose="cashier"]').waitFor()
      await type('0000')
      await page.locator('[data-testid="pin-pad"][data-error="wrong_pin"]').waitFor()
      await type('1111')
      await page.getByTestId('pin-pad').waitFor({ state: 'detached' })
      // The PIN is checked on the device (PBKDF2) once the pad closes.
      await page.locator(`[data-testid="shift"][data-staff-id="${ana.id}"]`).waitFor({ state: 'attached' })

      await t.add(P.beer.name, 3)
      await t.net.setOnline(false)
      await until('offline', async () => (await t.status()) !== 'online')
      await page.locator('[data-testid="cart-line"]').first().getByRole('button', { name: 'Uno menos' }).click()
      await page.locator('[data-testid="pin-pad"][data-action="void_line"]').waitFor()
      await type('1111')
      await page.locator('[data-testid="pin-pad"][data-error="not_manager"]').waitFor()
      await t.screenshot('pin-pad-not-manager')
      await type('4321')
      await page.getByTestId('pin-pad').waitFor({ state: 'detached' })
      await until('two beers left', async () => (await t.cartQty())[P.beer.id] === 2)

      await t.net.setOnline(true)
      await until('online', async () => (await t.status()) === 'online')
      const ticketId = await t.checkout('cash')
      const row = await until('projected with staff and approval', async () => {
        const r = await rows<{ staff_id: string | null; cashier: string; total: number | string; approvals: Array<{ action: string; staffId: string }> }>(database, sql`select staff_id, cashier, total, approvals from tickets where id = ${ticketId}`)
        return r[0]
      })
      expect(row).toMatchObject({ staff_id: ana.id, cashier: 'Ana' })
      expect(Number(row.total)).toBe(2 * P.beer.price)
      expect(row.approvals.map((a) => [a.action, a.staffId])).toEqual([['void_line', marta.id]])

      // A refund from the ticket list: a manager's PIN, then a new ticket naming the sale.
      await t.showTickets()
      await page.locator(`[data-testid="ticket"][data-ticket-id="${ticketId}"]`).getByTestId('ticket-refund').click()
      await page.locator('[data-testid="pin-pad"][data-action="refund"]').waitFor()
      await type('4321')
      const refund = await until('refund projected', async () => {
        const r = await rows<{ id: string; total: number | string; staff_id: string; approvals: Array<{ action: string; staffId: string }> }>(database, sql`select id, total, staff_id, approvals from tickets where refund_of = ${ticketId}`)
        return r[0]
      })
      expect(Number(refund.total)).toBe(-2 * P.beer.price)
      expect(refund.staff_id).toBe(ana.id)
      expect(refund.approvals.map((a) => [a.action, a.staffId])).toEqual([['refund', marta.id]])
      await page.locator(`[data-testid="ticket"][data-ticket-id="${refund.id}"]`).waitFor()
      // Everything was given back: no refund button on either ticket now.
      expect(await page.getByTestId('ticket-refund').count()).toBe(0)
      await t.screenshot('refund-in-ticket-list')
    } finally {
      await t.context.close()
    }
  }, 240_000)
})
