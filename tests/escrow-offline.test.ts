/**
 * Stock allowances end to end: the terminal's own code (apps/web/src/pos/terminal.ts) in
 * Node against the real relay and projection, two terminals cut off by a network switch.
 * A scarce product has 6 in stock; each terminal tries to sell it 5 times offline. With
 * allowances on, each sells within its share (3) with no risk of oversell, and what it
 * tries past it follows the store's policy (block, manager approval, warn); the
 * projection judges every line against the grant it was sold under. With allowances
 * off, today's oversold conflict still appears. Settings are saved through the back
 * office's REST route (store_settings), managers approve with their PIN on the terminal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { createSyncClient } from '@tally/client'
import { readCartLines, type EscrowSettings } from '@tally/schema'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { startTestRelay, type TestRelay } from '@tally/relay/testing'
import { Terminal } from '../apps/web/src/pos/terminal.ts'
import { decodeTerminalToken } from '../apps/web/src/pos/session.ts'
import { MemoryStorage } from '../apps/web/src/pos/pos-testing.ts'
import { nodeNetwork, type NodeNetwork } from './e2e/node-net.ts'
import { STORE, rows, seedDemo, until } from './e2e/stack.ts'
import { demoProductId } from '@tally/projections'

const product = (slug: string, name: string, price: number) => ({ id: demoProductId(STORE, slug), name, price, taxRate: 2100 })
const SHOT = product('shot', 'Tequila shot', 400)
const WINE = product('wine', 'House wine glass', 450)
const NUTS = product('nuts', 'Salted nuts', 300)
const CHIPS = product('chips', 'Chips', 220)

const OFF: EscrowSettings = { enabled: false, scarce: [], rule: 'equal', reservePct: 0, onExceeded: 'block' }

for (const backend of testBackends()) describe(`stock allowances, two terminals offline (${backend.name})`, () => {
  let database: TestDatabase
  let relay: TestRelay
  const terms: Array<{ t: Terminal; net: NodeNetwork }> = []
  /** The terminals' clock runs this far ahead (the idle-release test moves it). */
  let skew = 0
  /** Terminals where a manager is at hand to type their PIN. */
  const managerHere = new Set<string>()
  beforeAll(async () => {
    database = await backend.open()
    relay = await startTestRelay({ database, projector: true })
    await seedDemo(database)
    // A manager (PIN 4321) and a bartender (1111), published to the terminals in the roster.
    await admin('POST', '/staff', { name: 'Marta', role: 'manager', pin: '4321' })
    await admin('POST', '/staff', { name: 'Ana', role: 'bartender', pin: '1111' })
    for (const sub of ['esc-a', 'esc-b']) {
      const decoded = decodeTerminalToken(await relay.token({ role: 'terminal', store: STORE, sub }))
      if (!decoded.ok) throw new Error(decoded.error)
      const net = nodeNetwork()
      const client = createSyncClient({ url: relay.wsUrl, token: decoded.value.token, WebSocket: net.WebSocket, persistence: 'memory', backoff: { minMs: 50, maxMs: 300 } })
      const t = new Terminal(decoded.value, client, sub, new MemoryStorage(), () => Date.now() + skew)
      await t.start()
      // The PIN pad: the bartender signs in; a manager's PIN only where a test allows it.
      t.pinPrompt = (ask) => Promise.resolve(ask.purpose === 'cashier' ? '1111' : managerHere.has(sub) ? '4321' : null)
      terms.push({ t, net })
    }
    await until('staff on both terminals', () => terms.every(({ t }) => t.staff.length === 2))
    // Both terminals are known to the server before anyone asks for a share.
    await until('both terminals seen', async () => (await rows(database, sql`SELECT 1 FROM terminals WHERE store = ${STORE}`)).length === 2)
    for (const { t } of terms) t.connectAllowances(relay.httpUrl)
  }, 240_000)
  afterAll(async () => {
    for (const { t } of terms) {
      t.destroy()
      await t.client.destroy()
    }
    await relay?.close()
    await database?.cleanup()
  })

  const admin = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const token = await relay.token({ role: 'admin', store: STORE, sub: 'esc-admin' })
    const res = await fetch(`${relay.httpUrl}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
    return res.json()
  }

  /** The store counts 6 on the shelf and (maybe) marks the product scarce; both terminals take their shares. */
  async function prepare(p: typeof SHOT, s: EscrowSettings, share: number | null): Promise<void> {
    // Count first: a terminal seeing the product turn scarce asks at once, and a share
    // granted from the old level is never taken back.
    await admin('POST', '/stock/counts', { productId: p.id, counted: 6, note: 'escrow test' })
    await admin('PUT', '/settings', { allowances: s })
    await Promise.all(terms.map(({ t }) => t.refillAllowances(true)))
    for (const { t } of terms) {
      await until(`${t.session.terminalId}: level 6 and share ${share}`, () => {
        const level = t.catalog?.getMap('stock').get(p.id)
        return level === 6 && (share === null ? t.allowances.left(p.id) === null : t.allowances.left(p.id)?.remaining === share)
      })
    }
  }

  /** Both offline; each tries 5 single sales; back online, everything synced and judged. */
  async function sellOffline(p: typeof SHOT): Promise<Array<{ sold: number; notices: string[] }>> {
    for (const { net } of terms) net.setOnline(false)
    await until('both offline', () => terms.every(({ t }) => t.client.status !== 'online'))
    const out: Array<{ sold: number; notices: string[] }> = []
    for (const { t } of terms) {
      let sold = 0
      const notices: string[] = []
      for (let i = 0; i < 5; i++) {
        await until('a tab to sell on', () => t.current !== null && t.opening === null)
        // A refused attempt leaves its unit on its tab (taking it off is a void): start a new tab.
        if (readCartLines(t.current!.cart).length > 0) {
          await t.newTab()
          await until('a new tab', () => t.current !== null && t.opening === null)
        }
        t.addProduct(p)
        expect(readCartLines(t.current!.cart).map((l) => [l.productId, l.qty])).toEqual([[p.id, 1]])
        t.clearNotice()
        if (await t.checkout('cash')) sold++
        if (t.notice) notices.push(t.notice.key)
      }
      out.push({ sold, notices })
    }
    for (const { net } of terms) net.setOnline(true)
    await until('all sales judged on the terminals', () => terms.every(({ t }) => t.tickets.receipts.every((r) => r.state !== 'local' && r.state !== 'durable')), 90_000)
    return out
  }

  const acceptedUnits = async (p: typeof SHOT): Promise<number> => {
    const [r] = await rows<{ n: unknown }>(
      database,
      sql`SELECT coalesce(sum(l.qty), 0) AS n FROM ticket_lines l JOIN tickets t ON t.id = l.ticket_id
          WHERE t.store = ${STORE} AND l.product_id = ${p.id} AND t.status = 'accepted' AND NOT t.voided`,
    )
    return Number(r?.n ?? 0)
  }
  const oversold = (p: typeof SHOT) =>
    rows<{ key: string; evidence: { server: { deficit: number } } }>(database, sql`SELECT key, evidence FROM conflicts WHERE kind = 'oversold' AND key LIKE ${`oversold:${STORE}:${p.id}:%`}`)
  const verdicts = async (p: typeof SHOT): Promise<Record<string, number>> => {
    const r = await rows<{ verdict: string; n: unknown }>(database, sql`SELECT verdict, sum(qty) AS n FROM allowance_lines WHERE product_id = ${p.id} GROUP BY verdict`)
    return Object.fromEntries(r.map((x) => [x.verdict, Number(x.n)]))
  }
  const audits = async (p: typeof SHOT, code: string) =>
    rows<{ detail: { approval?: { by: string } | null; productId: string } }>(database, sql`SELECT detail FROM audit WHERE kind = 'allowance' AND code = ${code} AND detail->>'productId' = ${p.id}`)

  it('[ESC1][ESC2][ESC3][ESC4] block: each terminal sells its 3 offline, the 2 past its allowance are refused on the terminal; Σ accepted = 6, no oversell, every line judged within', async () => {
    await prepare(SHOT, { enabled: true, scarce: [{ productId: SHOT.id }], rule: 'equal', reservePct: 0, onExceeded: 'block' }, 3)
    const [a, b] = await sellOffline(SHOT)
    expect([a!.sold, b!.sold]).toEqual([3, 3])
    expect(a!.notices.filter((n) => n === 'notice.allowance_blocked')).toHaveLength(2)
    expect(b!.notices.filter((n) => n === 'notice.allowance_blocked')).toHaveLength(2)
    await until('6 units accepted', async () => (await acceptedUnits(SHOT)) === 6)
    await until('every line judged within its grant', async () => JSON.stringify(await verdicts(SHOT)) === JSON.stringify({ within: 6 }))
    expect(await oversold(SHOT)).toEqual([])
    // The server counted each terminal's 3 against its grant; the terminals show 0 left.
    const used = await rows<{ terminal_id: string; used: number; granted: number }>(database, sql`SELECT terminal_id, used, granted FROM stock_allowances WHERE product_id = ${SHOT.id} ORDER BY terminal_id`)
    expect(used.map((u) => [u.terminal_id, Number(u.used), Number(u.granted)])).toEqual([['esc-a', 3, 3], ['esc-b', 3, 3]])
    for (const { t } of terms) expect(t.allowances.left(SHOT.id)?.remaining).toBe(0)
    // Each scarce line names the grant it was sold under.
    const ticket = terms[0]!.t.tickets.receipts[0]!
    const [line] = await rows<{ grant_id: string; version: number }>(database, sql`SELECT grant_id, version FROM allowance_lines WHERE ticket_id = ${ticket.id}`)
    expect(line?.grant_id).toBe(used.length ? (await rows<{ grant_id: string }>(database, sql`SELECT grant_id FROM stock_allowances WHERE product_id = ${SHOT.id} AND terminal_id = 'esc-a'`))[0]?.grant_id : undefined)
  }, 240_000)

  it('[ESC1][ESC5][ESC10] approval: past its allowance a sale needs a manager; declined ones are not sold, approved ones are accepted with an audit row naming the manager (and, as they went past the shelf, the oversold conflict shows it)', async () => {
    await prepare(NUTS, { enabled: true, scarce: [{ productId: NUTS.id }], rule: 'equal', reservePct: 0, onExceeded: 'approval' }, 3)
    managerHere.add('esc-a')
    try {
      const [a, b] = await sellOffline(NUTS)
      expect([a!.sold, b!.sold]).toEqual([5, 3])
      // The approval travels in the ticket too (its `approvals`, action allowance).
      const [withApproval] = await rows<{ n: unknown }>(database, sql`SELECT count(*) AS n FROM tickets WHERE terminal_id = 'esc-a' AND approvals::text LIKE '%"allowance"%'`)
      expect(Number(withApproval?.n)).toBe(2)
      expect(b!.notices.filter((n) => n === 'notice.allowance_declined')).toHaveLength(2)
      await until('8 units accepted', async () => (await acceptedUnits(NUTS)) === 8)
      await until('6 within, 2 approved', async () => JSON.stringify(await verdicts(NUTS)) === JSON.stringify({ approved: 2, within: 6 }))
      const rowsA = await audits(NUTS, 'allowance.approved')
      expect(rowsA).toHaveLength(2)
      const [marta] = await rows<{ id: string }>(database, sql`SELECT id FROM staff WHERE name = 'Marta'`)
      expect(rowsA.every((r) => r.detail.approval?.by === marta?.id)).toBe(true)
      await until('the oversold conflict for the 2 approved past the shelf', async () => (await oversold(NUTS))[0]?.evidence.server.deficit === 2)
    } finally {
      managerHere.clear()
    }
  }, 240_000)

  it('[ESC1][ESC11] warn: the terminal sells past its allowance and says so; the projection finds those lines beyond (audit rows) and they take the oversold path', async () => {
    await prepare(WINE, { enabled: true, scarce: [{ productId: WINE.id }], rule: 'equal', reservePct: 0, onExceeded: 'warn' }, 3)
    const [a, b] = await sellOffline(WINE)
    expect([a!.sold, b!.sold]).toEqual([5, 5])
    expect(a!.notices.filter((n) => n === 'notice.allowance_exceeded')).toHaveLength(2)
    await until('10 units accepted', async () => (await acceptedUnits(WINE)) === 10)
    await until('6 within, 4 beyond', async () => JSON.stringify(await verdicts(WINE)) === JSON.stringify({ beyond: 4, within: 6 }))
    expect(await audits(WINE, 'allowance.beyond')).toHaveLength(4)
    await until('the oversold conflict', async () => (await oversold(WINE))[0]?.evidence.server.deficit === 4)
  }, 240_000)

  it('[ESC12] allowances off: both terminals sell all 5 offline and today\'s oversold conflict appears', async () => {
    await prepare(CHIPS, OFF, null)
    const [a, b] = await sellOffline(CHIPS)
    expect([a!.sold, b!.sold]).toEqual([5, 5])
    await until('10 units accepted', async () => (await acceptedUnits(CHIPS)) === 10)
    await until('the oversold conflict', async () => (await oversold(CHIPS))[0]?.evidence.server.deficit === 4)
    expect(await verdicts(CHIPS)).toEqual({})
  }, 240_000)

  it('[ESC13] rebalancing online: a terminal closing its shift gives back what it did not sell, the other, running low, gets it automatically; idle online it gives its unsold units back but one and tops up again when a sale wants more', async () => {
    const p = product('protein-bar', 'Protein bar', 280)
    await prepare(p, { enabled: true, scarce: [{ productId: p.id }], rule: 'equal', reservePct: 0, onExceeded: 'block' }, 3)
    const [a, b] = [terms[0]!.t, terms[1]!.t]
    await b.allowances.release()
    await until('B gave its 3 back', () => b.allowances.left(p.id)?.remaining === 0)
    // A sells 2 online; at 1 left it asks for more: back to its share of 3 left, from what B gave back.
    for (let i = 0; i < 2; i++) {
      await until('a tab', () => a.current !== null && a.opening === null)
      a.addProduct(p)
      expect(await a.checkout('card')).toBe(true)
    }
    await until('A topped up from the free pool', () => a.allowances.left(p.id)!.remaining === 3 && a.allowances.left(p.id)!.grant?.granted === 5)
    const [held] = await rows<{ n: unknown }>(database, sql`SELECT sum(granted - used) AS n FROM stock_allowances WHERE product_id = ${p.id}`)
    expect(Number(held?.n)).toBeLessThanOrEqual(6)

    // Idle online: nothing happens before IDLE_RELEASE_MS; past it A gives back all but one
    // (IDLE_KEEP) of its 3 unsold and asks for nothing until a sale wants some.
    expect(await a.releaseIfIdle()).toBe(false)
    skew = 6 * 60_000
    expect(await a.releaseIfIdle()).toBe(true)
    await until('A gave its unsold units back but one', () => a.allowances.left(p.id)?.remaining === 1)
    const [back] = await rows<{ granted: number; used: number }>(database, sql`SELECT granted, used FROM stock_allowances WHERE product_id = ${p.id} AND terminal_id = 'esc-a'`)
    expect(Number(back?.granted)).toBe(3)
    await until('a tab', () => a.current !== null && a.opening === null)
    a.addProduct(p)
    expect(await a.checkout('card')).toBe(true)
    expect(a.notice?.key).not.toBe('notice.allowance_blocked')
    skew = 0
  }, 240_000)
})
