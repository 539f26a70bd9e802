/**
 * Debian's chromium driven by playwright-core (never a downloaded browser), and a page
 * object for the terminal that reads the DOM through data-testid attributes.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page, type WebSocketRoute } from 'playwright-core'
import { ROOT } from './web-build.ts'
import { until } from './stack.ts'

export const CHROMIUM = '/usr/bin/chromium'
export const SCREENSHOTS = join(ROOT, 'tests/screenshots')

/** `extraArgs`: more Chromium flags (a test over HTTPS pins the store hub's CA key). */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extraArgs],
  })
}

/**
 * The network between one browser context and the relay. `setOffline` alone cuts HTTP but
 * not an open WebSocket in Chromium, so every /mux socket goes through a route that this
 * switch can cut (close both ends) and refuse while offline, like a pulled cable.
 */
export class Network {
  private online = true
  private readonly live = new Set<WebSocketRoute>()
  private constructor(private readonly context: BrowserContext) {}

  static async attach(context: BrowserContext): Promise<Network> {
    const net = new Network(context)
    await context.routeWebSocket(/\/mux/, (ws) => {
      if (!net.online) {
        void ws.close({ code: 4000, reason: 'offline (e2e network switch)' })
        return
      }
      const server = ws.connectToServer()
      net.live.add(ws)
      // Close codes pass through: the relay's 4401/4402 tell the client to ask for a token.
      ws.onClose((code, reason) => {
        net.live.delete(ws)
        void server.close(code !== undefined ? { code, reason: reason ?? '' } : undefined)
      })
      server.onClose((code, reason) => {
        net.live.delete(ws)
        void ws.close(code !== undefined ? { code, reason: reason ?? '' } : undefined)
      })
    })
    return net
  }

  async setOnline(online: boolean): Promise<void> {
    this.online = online
    await this.context.setOffline(!online)
    if (!online) await Promise.all([...this.live].map((ws) => ws.close({ code: 4000, reason: 'offline (e2e network switch)' })))
  }
}

export class TerminalPage {
  private constructor(
    readonly page: Page,
    readonly context: BrowserContext,
    readonly net: Network,
  ) {}

  /** `phone`: a touch screen of that size (no hover, coarse pointer), as a bartender's phone. */
  static async open(browser: Browser, baseUrl: string, token: string, locale = 'es-ES', phone?: { width: number; height: number }): Promise<TerminalPage> {
    const context = await browser.newContext(
      phone === undefined
        ? { baseURL: baseUrl, locale, viewport: { width: 1280, height: 860 } }
        : { baseURL: baseUrl, locale, viewport: phone, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
    )
    // The machine may be busy (two cores, other suites): generous, but bounded.
    context.setDefaultTimeout(60_000)
    context.setDefaultNavigationTimeout(60_000)
    const net = await Network.attach(context)
    const page = await context.newPage()
    page.on('pageerror', (err) => console.error(`[browser] ${err.message}`))
    await page.goto(`/pos?token=${encodeURIComponent(token)}`)
    const t = new TerminalPage(page, context, net)
    await t.ready()
    // The app shell must be cached and the page controlled before the network can go.
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready
      if (navigator.serviceWorker.controller === null) {
        await new Promise<void>((r) => navigator.serviceWorker.addEventListener('controllerchange', () => r(), { once: true }))
      }
    })
    return t
  }

  async ready(): Promise<void> {
    await this.page.getByTestId('pos').waitFor({ timeout: 60_000 })
  }

  async reload(): Promise<void> {
    await this.page.reload()
    await this.ready()
  }

  async waitCatalog(): Promise<void> {
    await this.page
      .getByTestId('product')
      .first()
      .waitFor({ timeout: 60_000 })
      .catch(async (err: unknown) => {
        await this.screenshot('fail-catalog')
        throw new Error(`no catalog (status ${await this.status()}): ${String(err)}`)
      })
  }

  async add(name: string, times = 1): Promise<void> {
    const btn = this.page.locator(`[data-testid="product"][data-name="${name}"]`)
    for (let i = 0; i < times; i++) await btn.click()
  }

  async scan(bracelet: string): Promise<void> {
    const field = this.page.getByTestId('bracelet')
    await field.fill(bracelet)
    await field.press('Enter')
    await until(`tab for ${bracelet}`, async () => (await this.page.getByTestId('visit').count()) > 0 && (await this.page.getByTestId('tab-panel').getAttribute('data-busy')) === 'false')
  }

  async cartId(): Promise<string> {
    return (await this.page.getByTestId('tab').getAttribute('data-cart-id')) ?? ''
  }

  async cartTotal(): Promise<number> {
    return Number(await this.page.getByTestId('cart-total').getAttribute('data-cents'))
  }

  /** Quantities by product id, as shown. */
  async cartQty(): Promise<Record<string, number>> {
    return this.page.$$eval('[data-testid="cart-line"]', (els) =>
      els.reduce<Record<string, number>>((acc, e) => {
        const id = e.getAttribute('data-product-id') ?? ''
        acc[id] = (acc[id] ?? 0) + Number(e.getAttribute('data-qty'))
        return acc
      }, {}),
    )
  }

  /** Charge the tab; returns the new ticket's id (every checkout is a fresh UUIDv7). */
  async checkout(method: 'cash' | 'card' | 'visit' = 'cash'): Promise<string> {
    const before = await this.cartId()
    await this.page.getByTestId(`method-${method}`).click()
    await this.page.getByTestId('checkout').click()
    // Charge opens the checkout dialog; confirm the exact amount, then close the receipt.
    await this.page.getByTestId('pay-confirm').click()
    await until('the next tab after checkout', async () => (await this.cartId()) !== before)
    const done = this.page.getByTestId('receipt-done')
    if (await done.isVisible()) await done.click()
    return this.lastTicketId()
  }

  /** The ticket the last "charged" notice named (kept on the page after the notice clears itself). */
  async lastTicketId(): Promise<string> {
    return until('the sold notice', async () => (await this.page.getByTestId('pos').getAttribute('data-last-ticket-id')) ?? undefined)
  }

  /** Pending changes (every edit not yet acknowledged by the relay). */
  async pending(): Promise<number> {
    return Number(await this.page.getByTestId('status').getAttribute('data-pending-changes'))
  }

  /** Pending sales (what the status widget shows a bartender). */
  async pendingSales(): Promise<number> {
    return Number(await this.page.getByTestId('status').getAttribute('data-pending-sales'))
  }

  /** The visit's consumed amount as shown on the tab, in cents. */
  async consumed(): Promise<number> {
    return Number(await this.page.getByTestId('consumed').getAttribute('data-cents'))
  }

  async status(): Promise<string> {
    return (await this.page.getByTestId('status').getAttribute('data-status')) ?? ''
  }

  async showTickets(): Promise<void> {
    await this.page.getByTestId('view-tickets').click()
  }
  async showSell(): Promise<void> {
    await this.page.getByTestId('view-sell').click()
  }

  /** Tickets in the list (the tickets view must be shown). */
  async tickets(): Promise<Array<{ id: string; state: string; total: number; reasons: string[] }>> {
    return this.page.$$eval('[data-testid="ticket"]', (els) =>
      els.map((e) => ({
        id: e.getAttribute('data-ticket-id') ?? '',
        state: e.getAttribute('data-state') ?? '',
        total: Number(e.getAttribute('data-total')),
        reasons: [...e.querySelectorAll('[data-testid="reasons"] li')].map((li) => li.textContent ?? ''),
      })),
    )
  }

  async screenshot(name: string, target?: 'status' | 'viewport'): Promise<string> {
    mkdirSync(SCREENSHOTS, { recursive: true })
    const path = join(SCREENSHOTS, `${name}.png`)
    if (target === 'status') await this.page.getByTestId('status').screenshot({ path })
    else await this.page.screenshot({ path, fullPage: target !== 'viewport' })
    return path
  }

  async close(): Promise<void> {
    await this.context.close()
  }
}
