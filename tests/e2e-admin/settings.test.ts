/**
 * The Settings screen in Chromium (Spanish): the owner sets an offline limit, a discount
 * limit, a scarce product and a strategy, saves, reloads the page and sees them again;
 * the relay answers the same settings, the audit log says what changed in words, and a
 * save over someone else's newer version is refused and says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { P, STORE, type Stack } from '../e2e/stack.ts'
import type { AdminPage } from './admin-page.ts'
import { closeBackOffice, openBackOffice } from './back-office-stack.ts'
import { ADMIN } from './admin-data.ts'

const nb = (s: string) => s.replace(/\s/g, ' ')

for (const backend of testBackends()) describe(`back office settings, Chromium (${backend.name})`, () => {
  let database: TestDatabase
  let stack: Stack
  let browser: Browser
  let admin: AdminPage
  const api = async (path: string, method = 'GET', body?: unknown) => {
    const token = await stack.relay.token({ role: 'admin', store: STORE, sub: 'other-manager' })
    const res = await fetch(`${stack.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: res.status, json: (await res.json()) as any }
  }
  beforeAll(async () => {
    ;({ database, stack, browser, admin } = await openBackOffice(backend, { signIn: true }))
  }, 240_000)
  afterAll(() => closeBackOffice({ admin, browser, stack, database }))

  it('[SET16] settings saved in the back office come back after a reload, are what the relay answers, and read as a sentence in the audit log', async () => {
    const page = admin.page
    await admin.go('settings')
    await page.getByTestId('settings-form').waitFor()
    expect(await page.getByTestId('settings-form').getAttribute('data-version')).toBe('0')
    await page.getByTestId('limit-maxSaleCents').fill('150')
    await page.getByTestId('action-onMaxSale').selectOption('block')
    await page.getByTestId('limit-maxOfflineMinutes').fill('240')
    await page.getByTestId('discount-limit').fill('12,5')
    await page.getByTestId('allowances-enabled').check()
    await page.locator(`[data-testid="scarce-product"][data-product-id="${P.gin.id}"]`).check()
    await page.getByTestId('allowances-on-exceeded').selectOption('approval')
    await page.getByTestId('strategy-inactive_product').selectOption('server_wins')
    expect(nb(await page.getByTestId('strategy-effect-inactive_product').innerText())).toMatch(/Se rechaza sola/)
    // A bad value is said at the field and cannot be saved.
    await page.getByTestId('limit-maxUnsyncedCents').fill('-3')
    expect(await page.getByTestId('settings-save').isDisabled()).toBe(true)
    await page.getByTestId('limit-maxUnsyncedCents').fill('')
    await page.getByTestId('settings-save').click()
    await page.getByTestId('settings-saved').waitFor()
    expect(nb(await page.getByTestId('settings-saved').innerText())).toMatch(/versión 1/)

    const stored = await api('/settings')
    expect(stored.json).toMatchObject({
      version: 1,
      updatedBy: `admin:${ADMIN.email}`,
      settings: {
        offlinePolicy: { maxSaleCents: 15_000, onMaxSale: 'block', maxOfflineMinutes: 240, maxUnsyncedCents: null },
        discounts: { maxWithoutApprovalPct: 12.5 },
        allowances: { enabled: true, scarce: [{ productId: P.gin.id }], onExceeded: 'approval' },
        strategies: { inactive_product: 'server_wins', price_changed: 'terminal_wins' },
      },
    })

    await page.reload()
    await page.getByTestId('settings-form').waitFor()
    expect(await page.getByTestId('settings-form').getAttribute('data-version')).toBe('1')
    expect(await page.getByTestId('limit-maxSaleCents').inputValue()).toMatch(/^150([,.]00)?$/)
    expect(await page.getByTestId('action-onMaxSale').inputValue()).toBe('block')
    expect(await page.getByTestId('discount-limit').inputValue()).toBe('12.5')
    expect(await page.locator(`[data-testid="scarce-product"][data-product-id="${P.gin.id}"]`).isChecked()).toBe(true)
    expect(await page.getByTestId('strategy-inactive_product').inputValue()).toBe('server_wins')
    await admin.screenshot('admin-settings')
    // In the owner's words: no strategy ids, field names or cents on screen.
    const body = nb(await page.innerText('body'))
    expect(body).not.toMatch(/_wins|last_write|manual|Cents|maxWithout|by_recent|15000/)
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1360)

    await admin.go('audit')
    const sentence = page.getByTestId('audit-what').filter({ hasText: 'Ajustes guardados' }).first()
    await sentence.waitFor()
    const text = nb(await sentence.innerText())
    expect(text).toContain('Venta máxima sin conexión: sin límite → 150,00 €')
    expect(text).toContain('Productos escasos: — → Gin tonic')
    expect(text).toContain('Producto inactivo: Preguntar a una persona → Rechazar la venta')
  })

  it('[SET16] a save over a version someone else saved meanwhile is refused and says so; reloading shows theirs', async () => {
    const page = admin.page
    await admin.go('settings')
    await page.getByTestId('settings-form').waitFor()
    const before = Number(await page.getByTestId('settings-form').getAttribute('data-version'))
    const theirs = await api('/settings', 'PUT', { discounts: { maxWithoutApprovalPct: 5 } })
    expect(theirs.json.version).toBe(before + 1)
    await page.getByTestId('discount-limit').fill('20')
    await page.getByTestId('settings-save').click()
    const error = page.getByTestId('error')
    await error.waitFor()
    expect(await error.getAttribute('data-code')).toBe('conflict')
    await page.getByTestId('settings-reload').click()
    await page.locator(`[data-testid="settings-form"][data-version="${before + 1}"]`).waitFor()
    expect(await page.getByTestId('discount-limit').inputValue()).toBe('5')
    expect((await api('/settings')).json.settings.discounts.maxWithoutApprovalPct).toBe(5)
  })
})
