/**
 * The back office in Chromium against a real relay (projection worker inside):
 * - two terminals sell offline more units than the shelf had; the admin sees the oversold
 *   conflict arrive live, resolves it, and stock and the sales report follow; the report's
 *   totals equal the projected rows in Postgres;
 * - a price changed in the back office reaches a connected terminal without a reload.
 */
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { TerminalPage } from '../e2e/browser.ts'
import { P, until, type Stack } from '../e2e/stack.ts'
import type { AdminPage } from './admin-page.ts'
import { closeBackOffice, openBackOffice } from './back-office-stack.ts'
import { acceptedByProduct, acceptedTotals, ADMIN, productByName, stockLevel } from './admin-data.ts'

const VERMUT = { name: 'Vermut de grifo', category: 'Copas', priceInput: '3,20', price: 320, opening: 3 }
const eur = (cents: number) => new Intl.NumberFormat('es-ES', { style: 'currency', currency: 'EUR' }).format(cents / 100).replace(/\s/g, ' ')
const text = (s: string | null) => (s ?? '').replace(/\s/g, ' ').trim()

for (const backend of testBackends()) describe(`back office in Chromium (${backend.name})`, () => {
  let database: TestDatabase
  let stack: Stack
  let browser: Browser
  let admin: AdminPage
  beforeAll(async () => {
    ;({ database, stack, browser, admin } = await openBackOffice(backend))
  }, 240_000)
  afterAll(() => closeBackOffice({ admin, browser, stack, database }))

  it('[ADM1][ADM2][ADM3][ADM4][ADM5] two offline terminals oversell; the admin resolves the conflict; stock and report follow Postgres', async () => {
    // A wrong password is said plainly, with the API's code.
    await admin.page.getByTestId('login-email').fill(ADMIN.email)
    await admin.page.getByTestId('login-password').fill('not-the-password')
    await admin.page.getByTestId('login-submit').click()
    const err = admin.page.getByTestId('error')
    await err.waitFor()
    expect(await err.getAttribute('data-code')).toMatch(/bad_token|bad_request|unauthorized|invalid/)
    await admin.screenshot('admin-login-error')
    await admin.login(ADMIN.email, ADMIN.password)
    await until('the live feed', async () => (await admin.liveState()) === 'open')

    // A new product with 3 on the shelf, made in the back office.
    await admin.go('products')
    await admin.page.getByTestId('product-new').click()
    await admin.page.getByTestId('product-name').fill(VERMUT.name)
    await admin.page.getByTestId('product-category').fill(VERMUT.category)
    await admin.page.getByTestId('product-price-input').fill(VERMUT.priceInput)
    await admin.page.getByTestId('product-opening').fill(String(VERMUT.opening))
    await admin.page.getByTestId('product-save').click()
    await admin.page.getByTestId('saved').waitFor()
    const vermut = await until('the product row', async () => (await productByName(database, VERMUT.name)) ?? undefined)
    expect(vermut.price).toBe(VERMUT.price)
    await admin.page.locator(`[data-testid="products-table"] tr[data-product-id="${vermut.id}"]`).waitFor()
    await admin.screenshot('admin-products')

    await admin.go('reports')
    const before = await admin.report()

    const a = await TerminalPage.open(browser, stack.url, await stack.terminalToken('barra-1'))
    const b = await TerminalPage.open(browser, stack.url, await stack.terminalToken('barra-2'))
    try {
      for (const t of [a, b]) {
        await t.waitCatalog()
        await t.page.locator(`[data-testid="product"][data-name="${VERMUT.name}"]`).waitFor({ timeout: 30_000 })
        await until('online', async () => (await t.status()) === 'online')
      }
      await admin.go('dashboard')
      const row = (id: string) => admin.page.locator(`[data-testid="terminals-table"] tr[data-terminal="${id}"]`)
      await until('both terminals online on the dashboard', async () => (await row('barra-1').getAttribute('data-connected')) === 'true' && (await row('barra-2').getAttribute('data-connected')) === 'true')
      await admin.screenshot('admin-dashboard-online')

      // The network goes; each bartender sells 2 of the 3 on the shelf.
      await Promise.all([a.net.setOnline(false), b.net.setOnline(false)])
      await until('both terminals offline', async () => (await a.status()) !== 'online' && (await b.status()) !== 'online')
      await a.add(VERMUT.name, 2)
      await a.checkout('cash')
      await b.add(VERMUT.name, 2)
      await b.add(P.beer.name, 1)
      await b.checkout('card')
      // Pushed, not polled: the dashboard shows both gone.
      await until('both terminals offline on the dashboard', async () => (await row('barra-1').getAttribute('data-connected')) === 'false' && (await row('barra-2').getAttribute('data-connected')) === 'false')
      await admin.screenshot('admin-dashboard-offline')

      await Promise.all([a.net.setOnline(true), b.net.setOnline(true)])
      await until('pending 0 on both terminals', async () => (await a.pending()) === 0 && (await b.pending()) === 0, 60_000)

      // The conflict arrives on the live feed (no reload): the nav badge and the card count it.
      await until('an open conflict on the dashboard', async () => Number(await admin.page.getByTestId('card-conflicts-value').textContent()) >= 1, 60_000)
      expect(await admin.openConflictsBadge()).toBeGreaterThanOrEqual(1)
      await admin.screenshot('admin-dashboard-conflict')

      await admin.go('stock')
      await until('the oversold row', async () => {
        const s = (await admin.stock())[vermut.id]
        return s !== undefined && s.level === -1 && s.oversold
      })
      await admin.screenshot('admin-stock-oversold')

      await admin.go('conflicts')
      const item = admin.page.locator(`[data-testid="conflict"][data-kind="oversold"]`).first()
      await item.waitFor()
      await item.click()
      const detail = admin.page.getByTestId('conflict-detail')
      await detail.waitFor()
      expect(await detail.getAttribute('data-status')).toBe('open')
      // Both sides: the sale that took the shelf below zero (the projection lists the tickets
      // after the last covered unit), and the server's level and deficit.
      const terminalSide = admin.page.getByTestId('evidence-terminal')
      await until('the oversold sale in the evidence', async () => /barra-[12]/.test((await terminalSide.textContent()) ?? ''))
      expect(text(await admin.page.getByTestId('evidence-server').textContent())).toContain('-1')
      await admin.page.getByTestId('conflict-tickets').waitFor()
      await admin.screenshot('admin-conflict-open')

      // The sales prove the units were there: terminal wins books the missing one.
      await admin.page.getByTestId('strategy-terminal_wins').check()
      await admin.page.getByTestId('resolve-note').fill('Había una caja sin registrar en el almacén')
      await admin.page.getByTestId('resolve').click()
      await until('the conflict resolved', async () => (await detail.getAttribute('data-status')) === 'resolved')
      await admin.page.getByTestId('resolution').waitFor()
      await admin.screenshot('admin-conflict-resolved')
      await until('no open conflicts on the live feed', async () => (await admin.openConflictsBadge()) === 0)

      await admin.go('stock')
      await until('stock back to 0 and not oversold', async () => {
        const s = (await admin.stock())[vermut.id]
        return s !== undefined && s.level === 0 && !s.oversold
      })
      expect(await stockLevel(database, vermut.id)).toBe(0)
      await admin.screenshot('admin-stock-resolved')

      // The report follows, and equals what Postgres holds.
      await admin.go('reports')
      const sold = 4 * VERMUT.price + P.beer.price
      const after = await until('the report to include the offline sales', async () => {
        const r = await admin.report()
        return r.total === before.total + sold ? r : undefined
      })
      const db = await acceptedTotals(database)
      expect({ total: after.total, tickets: after.tickets, units: after.units }).toEqual(db)
      expect(after.tickets).toBe(before.tickets + 2)
      await admin.screenshot('admin-reports-day')
      await admin.page.getByTestId('by-product').click()
      const byProduct = await until('the report by product', async () => {
        const r = await admin.report()
        return r.rows[vermut.id] !== undefined ? r : undefined
      })
      expect(byProduct.rows).toEqual(await acceptedByProduct(database))
      expect(byProduct.rows[vermut.id]).toEqual({ total: 4 * VERMUT.price, units: 4 })
      await admin.screenshot('admin-reports-product')

      // Today's tickets as projected, both terminals' among them.
      await admin.go('tickets')
      await until('both offline tickets listed', async () => {
        const ids = await admin.page.$$eval('[data-testid="tickets-table"] tr[data-ticket-id]', (els) => els.map((e) => e.textContent ?? ''))
        return ids.some((x) => x.includes('barra-1')) && ids.some((x) => x.includes('barra-2'))
      })
      await admin.screenshot('admin-tickets')

      // The audit log holds the resolution and who made it.
      await admin.go('audit')
      await admin.page.getByTestId('audit-kind').selectOption('resolution')
      await admin.page.getByTestId('audit-apply').click()
      await admin.page.locator('[data-testid="audit-table"] tr[data-kind="resolution"]').first().waitFor()
      expect(text(await admin.page.getByTestId('audit-table').textContent())).toContain(ADMIN.email)
      await admin.screenshot('admin-audit')
      expect(admin.errors).toEqual([])
    } catch (err) {
      await admin.screenshot('fail-admin')
      throw err
    } finally {
      await a.close()
      await b.close()
    }
  }, 300_000)

  it('[ADM6] a price changed in the back office reaches a connected terminal without reload', async () => {
    const t = await TerminalPage.open(browser, stack.url, await stack.terminalToken('barra-3'))
    try {
      await t.waitCatalog()
      const gin = t.page.locator(`[data-testid="product"][data-name="${P.gin.name}"] .product-price`)
      expect(text(await gin.textContent())).toBe(eur(P.gin.price))
      // A marker on the window: it survives only if the page is never reloaded.
      await t.page.evaluate(() => Object.assign(window, { __sameDocument: 'yes' }))

      await admin.go('products')
      await admin.page.locator(`[data-testid="products-table"] tr[data-name="${P.gin.name}"] [data-testid="product-edit"]`).click()
      await admin.page.getByTestId('product-price-input').fill('9,50')
      await admin.page.getByTestId('product-save').click()
      await admin.page.getByTestId('saved').waitFor()
      await until('the new price in the admin table', async () => (await admin.page.locator(`[data-testid="products-table"] tr[data-name="${P.gin.name}"]`).getAttribute('data-price')) === '950')

      await until('the new price on the terminal', async () => text(await gin.textContent()) === eur(950))
      expect(await t.page.evaluate(() => (window as unknown as { __sameDocument?: string }).__sameDocument)).toBe('yes')
      // And it is the price a new sale uses.
      await t.add(P.gin.name, 1)
      await until('the cart at the new price', async () => (await t.cartTotal()) === 950)
      await t.screenshot('terminal-price-updated')
      await admin.screenshot('admin-products-price-changed')
    } finally {
      await t.close()
    }
  }, 180_000)

  it('[ADM4][ADM13] master data and stock forms: a member, a visit with bracelets on the roster, closed; a count; English', async () => {
    const dialogs = (d: import('playwright-core').Dialog) => void d.accept()
    admin.page.on('dialog', dialogs)
    try {
      await admin.go('partners')
      await admin.page.getByTestId('partner-new').click()
      await admin.page.getByTestId('partner-name').fill('Marta Ibáñez')
      await admin.page.getByTestId('partner-member').fill('M-900')
      await admin.page.getByTestId('partner-save').click()
      await admin.page.locator('[data-testid="partners-table"]', { hasText: 'Marta Ibáñez' }).waitFor()

      await admin.go('visits')
      const partner = admin.page.getByTestId('visit-partner')
      await until('the member in the visit form', async () => (await partner.locator('option', { hasText: 'Marta Ibáñez' }).count()) === 1)
      await partner.selectOption({ label: 'M-900 · Marta Ibáñez' })
      await admin.page.getByTestId('visit-bracelets').fill('B-9001, B-9002')
      await admin.page.getByTestId('visit-open').click()
      const row = admin.page.locator('[data-testid="visits-table"] tr', { hasText: 'Marta Ibáñez' })
      await row.waitFor()
      expect(text(await row.textContent())).toContain('B-9002')
      // A bracelet already worn on an open visit is refused with the API's reason.
      await partner.selectOption({ label: 'M-900 · Marta Ibáñez' })
      await admin.page.getByTestId('visit-bracelets').fill('B-9001')
      await admin.page.getByTestId('visit-open').click()
      const err = admin.page.getByTestId('visit-form').getByTestId('error')
      await err.waitFor()
      expect(await err.getAttribute('data-code')).toBe('conflict')
      await admin.screenshot('admin-visits')
      await row.getByTestId('visit-close').click()
      await until('the visit gone from the open list', async () => (await row.count()) === 0)

      // A physical count sets the level; the server books the difference.
      await admin.go('stock')
      const water = admin.page.locator(`[data-testid="stock-table"] tr[data-product-id="${P.water.id}"]`)
      await water.getByTestId('stock-count').click()
      await admin.page.getByTestId('stock-qty').fill('42')
      await admin.page.getByTestId('stock-note').fill('recuento de cierre')
      await admin.page.getByTestId('stock-submit').click()
      await until('the counted level', async () => (await water.getAttribute('data-level')) === '42')
      expect(await stockLevel(database, P.water.id)).toBe(42)

      // One terminal's sync history: its connects and disconnects from the relay.
      await admin.go('terminals')
      await admin.page.locator('[data-testid="terminal-chip"]', { hasText: 'barra-1' }).click()
      await admin.page.locator('[data-testid="history-table"] tr[data-kind="connect"]').first().waitFor()
      await admin.screenshot('admin-terminal-history')

      // CSV of the report table as shown: product id, name, tickets, units, euros.
      await admin.go('reports')
      await admin.page.getByTestId('by-product').click()
      await admin.page.locator('[data-testid="sales-table"] tr[data-key]').first().waitFor()
      const [download] = await Promise.all([admin.page.waitForEvent('download'), admin.page.getByTestId('sales-table').getByTestId('csv').click()])
      const csv = readFileSync((await download.path()) as string, 'utf8')
      const lines = csv.replace(/^\ufeff/, '').trim().split('\r\n')
      expect(lines[0]).toBe('product,name,tickets,units,total')
      expect(lines).toContain(`${P.beer.id},${P.beer.name},1,1,3.50`)

      // The same screens in English.
      await admin.page.getByTestId('lang').selectOption('en')
      await until('English navigation', async () => text(await admin.page.getByTestId('nav-stock').textContent()) === 'Stock' && text(await admin.page.getByTestId('nav-partners').textContent()) === 'Members')
      await admin.go('dashboard')
      await admin.screenshot('admin-dashboard-en')
      expect(admin.errors).toEqual([])
    } finally {
      admin.page.off('dialog', dialogs)
    }
  }, 120_000)
})
