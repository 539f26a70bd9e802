/**
 * Chromium over the relay's own HTTPS (TLS=local) on the machine's LAN address, not
 * localhost (localhost is a secure context even over plain HTTP, which is exactly what a
 * terminal on 192.168.x.y does not get): the browser trusts the CA the relay serves
 * (its key pinned with --ignore-certificate-errors-spki-list, the headless stand-in for
 * installing it), the service worker takes control, the relay is killed, the page
 * reloads from the service worker, a sale is made, the relay comes back and the sale
 * arrives once (HUB45).
 *
 * Why the pin (measured on this Chromium): a context with ignoreHTTPSErrors loads the
 * page but refuses the service worker ("An SSL certificate error occurred when fetching
 * the script"), so the app could not reload offline, the very failure this feature
 * removes. The global --ignore-certificate-errors does let the worker register, but it
 * accepts any certificate and so proves nothing about ours. Pinning the CA's key accepts
 * only a chain that carries this relay's CA, as a terminal that installed it would.
 */
import { X509Certificate } from 'node:crypto'
import { request } from 'node:https'
import { networkInterfaces } from 'node:os'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import type { Browser } from 'playwright-core'
import { testBackends } from '@tally/schema/db/testing'
import { spkiHash } from '../../apps/relay/src/tls/local-ca.ts'
import { launchChromium, TerminalPage } from './browser.ts'
import { projectedOver } from './https-api.ts'
import { P, projectedTickets, rows, spawnStack, until, type SpawnedStack } from './stack.ts'

function lanIp(): string | undefined {
  for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) if (i.family === 'IPv4' && !i.internal) return i.address
  return undefined
}

/** GET over https without trusting anything yet: how a terminal first fetches the CA. */
function fetchUntrusted(url: string): Promise<{ body: string; fingerprint: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { rejectUnauthorized: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (body += d))
      res.on('end', () => resolve({ body, fingerprint: res.headers['x-ca-sha256'] as string | undefined }))
    })
    req.on('error', reject)
    req.end()
  })
}

const ip = lanIp()

for (const backend of testBackends()) describe.runIf(ip)(`Chromium over the relay's HTTPS on ${ip} (${backend.name})`, () => {
  let stack: SpawnedStack | undefined
  let browser: Browser | undefined
  let origin = ''
  beforeAll(async () => {
    stack = await spawnStack(backend, { TLS: 'local', HOST: '0.0.0.0' })
    origin = `https://${ip}:${stack.relay.port}`
    // The CA as a terminal gets it: downloaded, its fingerprint compared with the banner's.
    const ca = await fetchUntrusted(`${origin}/ca.crt`)
    const printed = /SHA-256 ([0-9A-F:]{95})/.exec(stack.relay.stdout())?.[1]
    expect(new X509Certificate(ca.body).fingerprint256).toBe(printed)
    expect(ca.fingerprint).toBe(printed)
    browser = await launchChromium([`--ignore-certificate-errors-spki-list=${spkiHash(ca.body)}`])
  }, 300_000)
  afterAll(async () => {
    await browser?.close()
    await stack?.close()
  })

  it('[HUB45] pair over https on the LAN address, service worker in control, relay killed, reload, sell, relay back: the sale arrives once', async () => {
    const s = stack!
    const t = await TerminalPage.open(browser!, origin, await s.terminalToken('barra-https'), 'en-GB')
    try {
      const page = t.page
      const facts = await page.evaluate(() => ({ secure: window.isSecureContext, origin: location.origin, controlled: navigator.serviceWorker.controller !== null }))
      expect(facts).toEqual({ secure: true, origin, controlled: true })
      await t.waitCatalog()
      await page.locator('[data-testid="offline-ready"][data-ready="true"]').waitFor()
      // The CA page is reachable and shows the fingerprint the relay printed.
      const caPage = await t.context.newPage()
      await caPage.goto('/pos/ca')
      expect(await caPage.getByTestId('ca-fingerprint').textContent()).toBe(/SHA-256 ([0-9A-F:]{95})/.exec(s.relay.stdout())?.[1])
      await caPage.close()

      await s.kill()
      await until('the terminal sees the relay gone', async () => (await t.status()) !== 'online')
      await t.reload()
      expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true)
      await t.waitCatalog()
      await t.add(P.beer.name, 3)
      expect(await t.cartTotal()).toBe(3 * P.beer.price)
      const ticketId = await t.checkout('cash')
      expect(await t.pendingSales()).toBe(1)

      await s.start()
      await until('the sale safe on the relay', async () => (await t.pendingSales()) === 0 && (await t.pending()) === 0, 120_000)
      await projectedOver(origin, [ticketId], until)
      const database = await s.stopAndOpen()
      const projected = await until('the ticket projected', async () => {
        const r = await projectedTickets(database)
        return r.some((x) => x.id === ticketId) ? r : undefined
      }, 60_000)
      expect(projected.filter((x) => x.id === ticketId).map((x) => x.total)).toEqual([3 * P.beer.price])
      const lines = await rows<{ qty: number | string }>(database, sql`select qty from ticket_lines where ticket_id = ${ticketId}`)
      expect(lines.reduce((n, l) => n + Number(l.qty), 0)).toBe(3)
      const dupes = await rows(database, sql`select doc, update_id from update_log where update_id is not null group by doc, update_id having count(*) > 1`)
      expect(dupes).toEqual([])
    } finally {
      await t.close()
    }
  }, 400_000)
})
