/**
 * A sale the server refuses shows its reason on the terminal: the bartender keeps
 * charging a visit offline after the back office closed it; the projection refuses the
 * ticket (visit closed) and the terminal's list says so, with the server's words.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { TerminalPage } from './browser.ts'
import { P, closeVisit, projectedTickets, until, type Stack } from './stack.ts'
import { closeBrowserStack, openBrowserStack } from './browser-stack.ts'

for (const backend of testBackends()) describe(`refused ticket in Chromium (${backend.name})`, () => {
  let database: TestDatabase
  let stack: Stack
  let browser: Browser
  let visitId = ''
  beforeAll(async () => {
    const env = await openBrowserStack(backend)
    ;({ database, stack, browser } = env)
    visitId = env.demo.visits.find((v) => v.bracelet === 'B-1002')!.id
  }, 240_000)
  afterAll(() => closeBrowserStack({ database, stack, browser }))

  it('[POS7][POS8][POS12] a sale on a visit closed meanwhile waits for review on the terminal, with the reason', async () => {
    const t = await TerminalPage.open(browser, stack.url, await stack.terminalToken('barra-refused', 3600), 'en-US')
    try {
      await t.waitCatalog()
      expect(await t.page.getAttribute('html', 'lang')).toBe('en')
      await t.scan('B-1002')
      await t.net.setOnline(false)
      // Meanwhile the member leaves and the back office closes the visit.
      await closeVisit(database, visitId, new Date(Date.now() - 1000))
      await t.add(P.gin.name, 2)
      const ticketId = await t.checkout('visit')
      // And an ordinary sale that must still be accepted, made keyboard-only:
      // F2 search, Enter adds the first match, F9 charges.
      await t.page.keyboard.press('F2')
      await until('the search field focused', () => t.page.evaluate(() => document.activeElement?.getAttribute('data-testid') === 'search'))
      await t.page.keyboard.type('cola')
      await t.page.keyboard.press('Enter')
      await until('cola in the cart', async () => (await t.cartQty())[P.cola.id] === 1)
      const okTab = await t.cartId()
      await t.page.keyboard.press('F9')
      // F9 opens the checkout dialog; Enter confirms the exact amount, Escape closes the receipt.
      await t.page.getByTestId('pay-confirm').waitFor()
      await t.page.keyboard.press('Enter')
      await until('the next tab after the keyboard checkout', async () => (await t.cartId()) !== okTab)
      await t.page.getByTestId('receipt-done').click()
      const okId = await t.lastTicketId()
      expect(okId).not.toBe(ticketId)
      await t.net.setOnline(true)

      await t.showTickets()
      const list = await until(
        'the verdicts',
        async () => {
          const l = await t.tickets()
          return l.length === 2 && l.every((x) => x.state === 'accepted' || x.state === 'review') ? l : undefined
        },
        60_000,
      )
      const refused = list.find((x) => x.id === ticketId)!
      // Manual is the default strategy for visit_closed: a person decides (PRJ25), not a refusal.
      expect(refused.state).toBe('review')
      expect(refused.reasons.join(' ')).toMatch(/closed/)
      expect(list.find((x) => x.id === okId)!.state).toBe('accepted')
      await expect(t.page.locator(`[data-ticket-id="${ticketId}"] [data-testid="reasons"] li`).first().getAttribute('data-code')).resolves.toBe('visit_closed')
      await t.screenshot('ticket-refused')

      const rows = await projectedTickets(database)
      expect(rows.find((r) => r.id === ticketId)?.status).toBe('review')
    } finally {
      await t.close()
    }
  }, 300_000)
})
