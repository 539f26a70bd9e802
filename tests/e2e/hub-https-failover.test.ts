/**
 * Chromium paired with two relays over HTTPS, each with its own CA and its own token
 * (the store hub serving the page and central, on the LAN address, their own ports): the
 * hub is SIGKILLed, the terminal moves to central without a reload (the page policy lets
 * its socket go there), the status bar says it is on the backup, a sale made then is
 * safe at central; the hub comes back and the terminal returns to it by itself, and a
 * sale made then is safe at the hub. Each sale once, with its total (HUB40, HUB41, POS33).
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

function caOf(origin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(`${origin}/ca.crt`, { rejectUnauthorized: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (body += d))
      res.on('end', () => resolve(body))
    })
    req.on('error', reject)
    req.end()
  })
}

const ip = lanIp()

for (const backend of testBackends()) describe.runIf(ip)(`Chromium failing over from the hub to central over HTTPS (${backend.name})`, () => {
  let hub: SpawnedStack | undefined
  let central: SpawnedStack | undefined
  let browser: Browser | undefined
  let hubOrigin = ''
  let centralOrigin = ''
  beforeAll(async () => {
    // Central on the LAN address too: Chromium's local network access checks refuse a
    // socket from a LAN page to loopback (a real central is public, which is allowed).
    central = await spawnStack(backend, { TLS: 'local', HOST: '0.0.0.0' })
    centralOrigin = `https://${ip}:${central.relay.port}`
    hub = await spawnStack(backend, { TLS: 'local', HOST: '0.0.0.0', WEB_CONNECT_SRC: `wss://${ip}:${central.relay.port}` })
    hubOrigin = `https://${ip}:${hub.relay.port}`
    const cas = [await caOf(hubOrigin), await caOf(centralOrigin)]
    // Two CAs, two hubs' worth of trust: a terminal installs both.
    expect(new X509Certificate(cas[0]!).fingerprint256).not.toBe(new X509Certificate(cas[1]!).fingerprint256)
    browser = await launchChromium([`--ignore-certificate-errors-spki-list=${cas.map(spkiHash).join(',')}`])
  }, 400_000)
  afterAll(async () => {
    await browser?.close()
    await hub?.close()
    await central?.close()
  })

  it('[HUB40][HUB41][POS33] hub killed: the page sells through central and says so; hub back: it returns; each sale once where it was made', async () => {
    const h = hub!
    const c = central!
    const code = `${hubOrigin.replace('https', 'wss')} ${await h.terminalToken('barra-2')} ${centralOrigin.replace('https', 'wss')} ${await c.terminalToken('barra-2')}`
    const t = await TerminalPage.open(browser!, hubOrigin, code, 'en-GB')
    try {
      const page = t.page
      const relayLine = page.getByTestId('status-relay')
      await t.waitCatalog()
      expect(await relayLine.count()).toBe(0)
      await t.add(P.beer.name, 2)
      const onHub1 = await t.checkout('card')
      await until('first sale safe at the hub', async () => (await t.pending()) === 0)

      await h.kill()
      await page.locator('[data-testid="status-relay"][data-relay-index="1"]').waitFor({ timeout: 90_000 })
      await until('online through central', async () => (await t.status()) === 'online', 90_000)
      expect(await relayLine.textContent()).toBe(`on ${ip}:${c.relay.port} (backup)`)
      await t.add(P.gin.name)
      const onCentral = await t.checkout('card')
      await until('the sale safe at central', async () => (await t.pending()) === 0, 60_000)

      await h.start()
      await relayLine.waitFor({ state: 'detached', timeout: 90_000 })
      await until('online on the hub again', async () => (await t.status()) === 'online', 60_000)
      await t.add(P.water.name, 3)
      const onHub2 = await t.checkout('cash')
      await until('the last sale safe at the hub', async () => (await t.pending()) === 0, 60_000)

      await projectedOver(hubOrigin, [onHub1, onHub2], until)
      await projectedOver(centralOrigin, [onCentral], until)
      const hubDb = await h.stopAndOpen()
      const centralDb = await c.stopAndOpen()
      const wait = (db: typeof hubDb, ids: string[]) =>
        until('projected', async () => {
          const r = await projectedTickets(db)
          return ids.every((id) => r.some((x) => x.id === id)) ? r : undefined
        })
      const atHub = new Map((await wait(hubDb, [onHub1, onHub2])).map((r) => [r.id, r.total]))
      const atCentral = new Map((await wait(centralDb, [onCentral])).map((r) => [r.id, r.total]))
      expect(atHub.get(onHub1)).toBe(2 * P.beer.price)
      expect(atHub.get(onHub2)).toBe(3 * P.water.price)
      expect(atCentral.get(onCentral)).toBe(P.gin.price)
      for (const db of [hubDb, centralDb]) {
        expect(await rows(db, sql`select doc from update_log where update_id is not null group by doc, update_id having count(*) > 1`)).toEqual([])
      }
    } finally {
      await t.close()
    }
  }, 500_000)
})
