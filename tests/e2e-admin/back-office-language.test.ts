/**
 * The back office in a manager's words, in Chromium at 1280×800, Spanish then English:
 * a terminal (a stock y-websocket client writing the store's cart and ticket documents)
 * sells the last unit of a product while another uploads one more over REST; the admin
 * reads lag, the oversold conflict (the configured strategy preselected, strategies by
 * their effect), stock (opening apart from adjustments), the audit log (money formatted,
 * details expandable) and the terminal's sync history (connects and uploads) without a
 * checkpoint, a raw document name, a UUID or cents anywhere on screen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import type { Browser } from 'playwright-core'
import { addToCart, cartDocName, recordCheckout, saleFromCart, ticketDocName, uuidv7, writeCartMeta, writeSale } from '@tally/schema'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { launchChromium } from '../e2e/browser.ts'
import { P, seedDemo, startStack, STORE, until, type Stack } from '../e2e/stack.ts'
import { AdminPage } from './admin-page.ts'
import { ADMIN, createAdmin } from './admin-data.ts'

const VIEWPORT = { width: 1280, height: 800 }
const VERMUT = { name: 'Vermut de grifo', price: 320 }
const nb = (s: string) => s.replace(/\s/g, ' ')
const money = (cents: number, locale: string) => nb(new Intl.NumberFormat(locale, { style: 'currency', currency: 'EUR' }).format(cents / 100))
const RAW_DOC = new RegExp(`${STORE}/(ticket|cart|visit|catalog|roster)`)
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-/i

function provider(wsUrl: string, doc: string, token: string, ydoc: Y.Doc): Promise<WebsocketProvider> {
  const p = new WebsocketProvider(`${wsUrl}/sync`, doc, ydoc, { params: { token }, WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket, disableBc: true })
  return new Promise((resolve) => (p.synced ? resolve(p) : p.once('sync', () => resolve(p))))
}

for (const backend of testBackends()) describe(`back office in plain words, Chromium 1280×800 (${backend.name})`, () => {
  let database: TestDatabase
  let stack: Stack
  let browser: Browser
  let admin: AdminPage
  const providers: WebsocketProvider[] = []
  const api = async (path: string, token: string, method = 'GET', body?: unknown) => {
    const res = await fetch(`${stack.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })
    const json = (await res.json()) as any
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`)
    return json
  }
  beforeAll(async () => {
    database = await backend.open()
    stack = await startStack(database)
    await seedDemo(database)
    await createAdmin(database)
    browser = await launchChromium()
    admin = await AdminPage.open(browser, stack.url, 'es-ES', VIEWPORT)
  }, 240_000)
  afterAll(async () => {
    for (const p of providers) p.destroy()
    await admin?.close()
    await browser?.close()
    await stack?.close()
    await database?.cleanup()
  })

  /** Visible text of the page, with what no manager should read checked away. */
  const visible = async (where: string) => {
    const body = nb(await admin.page.innerText('body'))
    expect(body, `${where}: jargon`).not.toMatch(/checkpoint|punto \d+ de|Last seq|Última sec|same as|igual que|npm run/i)
    expect(body, `${where}: a raw document name`).not.toMatch(RAW_DOC)
    expect(body, `${where}: a UUID`).not.toMatch(UUID)
    expect(body, `${where}: raw JSON`).not.toMatch(/\{"|":/)
    expect(await admin.page.evaluate(() => document.documentElement.scrollWidth), `${where}: no sideways scroll`).toBeLessThanOrEqual(VIEWPORT.width)
    return body
  }

  it('[ADM20][ADM21][ADM22][ADM23][ADM24][ADM25] lag, conflicts, stock, audit and sync history read in Spanish and English', async () => {
    // Sign-in: one sentence, said once, and no command line in the UI.
    await admin.page.getByTestId('login-email').fill(ADMIN.email)
    await admin.page.getByTestId('login-password').fill('not-the-password')
    await admin.page.getByTestId('login-submit').click()
    await admin.page.getByTestId('error').waitFor()
    expect(await admin.page.getByTestId('error').count()).toBe(1)
    expect(nb(await admin.page.getByTestId('error').innerText())).toBe('Correo o contraseña incorrectos.')
    const login = await visible('login')
    expect(login.split('incorrect').length - 1).toBe(1)
    await admin.screenshot('admin-lang-login-error-es')
    await admin.login(ADMIN.email, ADMIN.password)

    // The manager's data: a product with one on the shelf, a delivery of beer, a new gin price.
    const adminToken = await stack.relay.token({ role: 'admin', store: STORE, sub: ADMIN.email })
    const vermut = await api('/products', adminToken, 'POST', { name: VERMUT.name, category: 'Copas', price: VERMUT.price, openingStock: 1 })
    const vermutId: string = vermut.id
    await api('/stock/adjustments', adminToken, 'POST', { productId: P.beer.id, delta: 24, note: 'entrega' })
    await api(`/products/${P.gin.id}`, adminToken, 'PATCH', { price: 950 })

    // barra-1 sells the last vermut as the terminal writes it: tab, ticket, checkout.
    const t1 = await stack.terminalToken('barra-1')
    const cartId = uuidv7()
    const ticketId = uuidv7()
    const cart = new Y.Doc()
    const ticket = new Y.Doc()
    providers.push(await provider(stack.relay.wsUrl, cartDocName(STORE, cartId), t1, cart))
    providers.push(await provider(stack.relay.wsUrl, ticketDocName(STORE, ticketId), t1, ticket))
    writeCartMeta(cart, { label: 'Mesa 4' })
    addToCart(cart, 'barra-1', { id: vermutId, name: VERMUT.name, price: VERMUT.price, taxRate: 0 }, 1, uuidv7)
    const sale = saleFromCart(cart, { ticketId, cartId, storeId: STORE, terminalId: 'barra-1', cashier: 'Lucía', clientTime: new Date().toISOString(), method: 'cash' })
    writeSale(ticket, sale)
    recordCheckout(cart, { ticketId, terminalId: 'barra-1', at: sale.clientTime, total: sale.total })
    // barra-2, offline meanwhile, uploads its own vermut over REST when it is back.
    await api('/sales/sync/upload', await stack.terminalToken('barra-2'), 'POST', { sales: [{ local_id: uuidv7(), items: [{ product_id: vermutId, quantity: 1 }] }] })
    await until('the oversold conflict', async () => ((await api('/conflicts?status=open', adminToken)) as Array<{ kind: string }>).some((c) => c.kind === 'oversold'), 60_000)
    await until('barra-1’s ticket projected', async () => ((await api('/terminals/barra-1/uploads', adminToken)) as Array<{ doc: string; subject: { total?: number } }>).some((u) => u.doc === ticketDocName(STORE, ticketId) && u.subject.total === VERMUT.price), 60_000)

    for (const lang of ['es', 'en'] as const) {
      const locale = lang === 'es' ? 'es' : 'en'
      const say = (es: string, en: string) => (lang === 'es' ? es : en)
      if (lang === 'en') {
        await admin.page.getByTestId('lang').selectOption('en')
        await until('English navigation', async () => nb(await admin.page.getByTestId('nav-partners').innerText()) === 'Members')
      }

      // Dashboard: the lag as a manager says it; no sequence column.
      await admin.go('dashboard')
      await until('the projection up to date', async () => nb(await admin.page.getByTestId('card-lag-value').innerText()) === say('Al día', 'Up to date'))
      expect(await admin.page.locator('[data-testid="terminals-table"] th').allTextContents()).not.toContain(say('Última sec.', 'Last seq.'))
      await visible(`dashboard ${lang}`)
      await admin.screenshot(`admin-lang-dashboard-${lang}`)

      // Conflicts: the documents by name, the configured strategy (manual) preselected,
      // every strategy said by its effect on stock and money.
      await admin.go('conflicts')
      const item = admin.page.locator('[data-testid="conflict"][data-kind="oversold"]').first()
      await item.waitFor()
      expect(nb(await item.innerText())).toContain(VERMUT.name)
      await item.click()
      const detail = admin.page.getByTestId('conflict-detail')
      await detail.waitFor()
      await admin.page.getByTestId('conflict-tickets').waitFor()
      expect(await admin.page.getByTestId('strategy-manual').isChecked()).toBe(true)
      expect(await admin.page.getByTestId('strategy-terminal_wins').isChecked()).toBe(false)
      expect(nb(await admin.page.getByTestId('strategy-option-terminal_wins').innerText())).toContain(say('Dar de alta lo que faltaba', 'Book the missing units'))
      expect(nb(await admin.page.getByTestId('strategy-option-server_wins').innerText())).toMatch(say('stock sigue en negativo', 'stock stays below zero'))
      await detail.locator('details').first().evaluate((d) => ((d as HTMLDetailsElement).open = true))
      const docs = (await admin.page.getByTestId('conflict-doc').allInnerTexts()).map(nb)
      expect(docs.length).toBeGreaterThan(0)
      for (const d of docs) expect(d).toMatch(new RegExp(`^${say('Ticket', 'Ticket')} #[0-9a-f]{6} ${say('de', 'of')} barra-[12] · `))
      const conflictText = await visible(`conflicts ${lang}`)
      expect(conflictText).toContain(money(VERMUT.price, locale))
      await admin.screenshot(`admin-lang-conflict-${lang}`)

      // Stock: opening, adjustments, sold, level; the oversold row highlighted.
      await admin.go('stock')
      const row = admin.page.locator(`[data-testid="stock-table"] tr[data-product-id="${vermutId}"]`)
      await until('the oversold vermut', async () => (await row.getAttribute('data-level')) === '-1')
      expect(await admin.page.locator('[data-testid="stock-table"] th').allTextContents()).toEqual(
        expect.arrayContaining(lang === 'es' ? ['Stock inicial', 'Ajustes', 'Vendidas', 'Existencias'] : ['Opening stock', 'Adjustments', 'Sold', 'In stock']),
      )
      expect([await row.getByTestId('stock-opening').innerText(), await row.getByTestId('stock-adjustments').innerText(), nb(await row.getByTestId('stock-sold').innerText())]).toEqual(['1', '0', '−2'])
      expect(await row.getAttribute('class')).toContain('adm-row-danger')
      const beer = admin.page.locator(`[data-testid="stock-table"] tr[data-product-id="${P.beer.id}"]`)
      expect(await beer.getByTestId('stock-adjustments').innerText()).toBe('+24')
      await visible(`stock ${lang}`)
      await admin.screenshot(`admin-lang-stock-${lang}`)

      // Audit: who, what, which document, money formatted; details expand, whole.
      await admin.go('audit')
      await admin.page.locator('[data-testid="audit-table"] tr[data-code="product.update"]').first().waitFor()
      const priceRow = nb(await admin.page.locator('[data-testid="audit-table"] tr[data-code="product.update"]').first().innerText())
      expect(priceRow).toContain(ADMIN.email)
      expect(priceRow).toContain(`${money(P.gin.price, locale)} → ${money(950, locale)}`)
      expect(priceRow).toContain(say('Catálogo de productos', 'Product catalogue'))
      const created = nb(await admin.page.locator('[data-testid="audit-table"] tr[data-code="product.create"]').first().innerText())
      expect(created).toContain(money(VERMUT.price, locale))
      const upload = admin.page.locator('[data-testid="audit-table"] tr[data-kind="sale-upload"]').first()
      expect(nb(await upload.innerText())).toMatch(new RegExp(`Ticket #[0-9a-f]{6} ${say('de', 'of')} barra-2`))
      await upload.locator('summary').click()
      const dl = upload.getByTestId('audit-detail')
      await dl.waitFor()
      const box = await dl.boundingBox()
      expect(box !== null && box.x + box.width <= VIEWPORT.width).toBe(true)
      expect(await dl.evaluate((e) => e.scrollWidth <= e.clientWidth + 1)).toBe(true)
      expect(nb(await dl.innerText())).toContain(money(VERMUT.price, locale))
      await visible(`audit ${lang}`)
      await admin.screenshot(`admin-lang-audit-${lang}`)

      // barra-1's sync history: its connects and what it sent (the tab and the ticket).
      await admin.go('terminals')
      await admin.page.locator('[data-testid="terminal-chip"]', { hasText: 'barra-1' }).click()
      const history = admin.page.getByTestId('history-table')
      await history.locator('tr[data-kind="connect"]').first().waitFor()
      const sent = history.locator('tr[data-kind="upload"]')
      await until('the ticket and the tab in the history', async () => (await sent.count()) >= 2)
      const sentText = (await sent.allInnerTexts()).map(nb).join('\n')
      expect(sentText).toMatch(new RegExp(`Ticket #[0-9a-f]{6} ${say('de', 'of')} barra-1`))
      expect(sentText).toContain(money(VERMUT.price, locale))
      expect(sentText).toContain(say('Cuenta «Mesa 4»', 'Tab “Mesa 4”'))
      await visible(`history ${lang}`)
      await admin.screenshot(`admin-lang-history-${lang}`)
    }
    expect(admin.errors).toEqual([])
  }, 300_000)
})
