/**
 * Staff, approvals, refunds and the offline policy end to end (issue 16): the back office
 * creates staff and sets the policy over REST; the web terminal's own code (in Node,
 * against the real relay and projection) signs a bartender in by PIN, goes offline, voids
 * a line and refunds part of a sale with a manager's PIN, is stopped by the offline time
 * limit (an injected clock), and sells again once back online. The approvals are in the
 * tickets, the projected rows and the audit log; the reports group by staff id and show
 * the refund on its own line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { createSyncClient } from '@tally/client'
import { readCartLines, type Sale } from '@tally/schema'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { startTestRelay, type TestRelay } from '@tally/relay/testing'
import { Terminal } from '../../apps/web/src/pos/terminal.ts'
import { decodeTerminalToken } from '../../apps/web/src/pos/session.ts'
import { MemoryStorage } from '../../apps/web/src/pos/pos-testing.ts'
import { nodeNetwork } from './node-net.ts'
import { P, STORE, rows, seedDemo, until } from './stack.ts'

const beer = { id: P.beer.id, name: P.beer.name, price: P.beer.price, taxRate: 1000 }
const gin = { id: P.gin.id, name: P.gin.name, price: P.gin.price, taxRate: 2100 }

for (const backend of testBackends()) describe(`staff and approvals end to end (${backend.name})`, () => {
  let database: TestDatabase
  let relay: TestRelay
  let t: Terminal | null = null
  beforeAll(async () => {
    database = await backend.open()
    relay = await startTestRelay({ database, projector: true })
    await seedDemo(database)
  }, 240_000)
  afterAll(async () => {
    if (t) {
      t.destroy()
      await t.client.destroy()
    }
    await relay?.close()
    await database?.cleanup()
  })

  const admin = async (method: string, path: string, body?: unknown): Promise<any> => {
    const token = await relay.token({ role: 'admin', store: STORE, sub: 'owner' })
    const res = await fetch(`${relay.httpUrl}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
    return res.json()
  }

  it('[STF12] a void and a refund offline need a manager PIN; the approvals are in the tickets, the rows and the audit log; reports group by staff id and the refund subtracts on its own line; past the offline time limit the terminal blocks, back online it sells', async () => {
    const marta = await admin('POST', '/staff', { name: 'Marta', role: 'manager', pin: '4321' })
    const ana = await admin('POST', '/staff', { name: 'Ana', role: 'bartender', pin: '1111' })
    await admin('PUT', '/settings', { offlinePolicy: { maxOfflineMinutes: 30, onMaxOffline: 'block' } })

    const decoded = decodeTerminalToken(await relay.token({ role: 'terminal', store: STORE, sub: 'till-staff' }))
    if (!decoded.ok) throw new Error(decoded.error)
    const net = nodeNetwork()
    const clock = { now: Date.now() }
    const client = createSyncClient({ url: relay.wsUrl, token: decoded.value.token, WebSocket: net.WebSocket, persistence: 'memory', backoff: { minMs: 50, maxMs: 300 } })
    const term = new Terminal(decoded.value, client, '', new MemoryStorage(), () => clock.now)
    t = term
    await term.start()
    await until('staff on the terminal', () => term.staff.length === 2)
    await until('policy on the terminal', () => term.policy.maxOfflineMinutes === 30)
    const answers: Array<string | null> = []
    term.pinPrompt = () => Promise.resolve(answers.length > 0 ? (answers.shift() as string | null) : null)

    // Online: Ana signs in and sells three beers.
    answers.push('1111')
    expect(await term.signIn()).toBe(true)
    await term.newTab()
    term.addProduct(beer, 3)
    expect(await term.checkout('cash')).toBe(true)
    const first = term.lastSale as Sale
    await until('first sale durable', () => term.client.pending() === 0 && term.lastSyncAt !== null)

    // Offline: a tab with a gin voided by Marta, then a refund of two beers of the first sale.
    net.setOnline(false)
    await until('offline', () => term.client.status !== 'online')
    await term.newTab()
    term.addProduct(beer, 1)
    term.addProduct(gin, 1)
    const ginLine = readCartLines(term.current!.cart).find((l) => l.productId === gin.id)!
    answers.push('1111') // a bartender cannot approve
    expect(await term.removeLine(ginLine.lineId)).toBe(false)
    answers.push('4321')
    expect(await term.removeLine(ginLine.lineId)).toBe(true)
    expect(await term.checkout('cash')).toBe(true)
    const second = term.lastSale as Sale
    answers.push('4321')
    const refund = await term.refund(first.id, { lines: { [first.lines[0]!.lineId]: 2 } })
    expect(refund).toMatchObject({ kind: 'refund', refundOf: first.id, total: -2 * beer.price })

    // Past the offline limit: blocked, saying which limit.
    clock.now += 31 * 60_000
    await term.newTab()
    term.addProduct(beer, 1)
    expect(await term.checkout('cash')).toBe(false)
    expect(term.notice?.key).toBe('staff.notice.policy_block_offline_time')

    // Back online: it sells again.
    net.setOnline(true)
    await until('online again', () => term.client.status === 'online')
    expect(await term.checkout('cash')).toBe(true)
    const third = term.lastSale as Sale
    await until('all durable', () => term.client.pending() === 0)

    // Projected rows: staff id, approvals, the refund naming its sale.
    type Row = { id: string; staff_id: string | null; cashier: string; refund_of: string | null; approvals: unknown; total: number | string; status: string }
    const ids = [first.id, second.id, refund!.id, third.id]
    const got = await until('four tickets projected', async () => {
      const r = await rows<Row>(database, sql`select id, staff_id, cashier, refund_of, approvals, total, status from tickets where id in (${sql.join(ids.map((i) => sql`${i}`), sql`, `)})`)
      return r.length === 4 ? new Map(r.map((x) => [x.id, x])) : undefined
    })
    for (const id of ids) expect(got.get(id)).toMatchObject({ staff_id: ana.id, cashier: 'Ana', status: 'accepted' })
    const approvals = (id: string) => (got.get(id)!.approvals as Array<{ action: string; staffId: string }>).map((a) => [a.action, a.staffId])
    expect(approvals(second.id)).toEqual([['void_line', marta.id]])
    expect(approvals(refund!.id)).toEqual([['refund', marta.id]])
    expect(got.get(refund!.id)).toMatchObject({ refund_of: first.id })
    expect(Number(got.get(refund!.id)!.total)).toBe(-700)

    // Audit log: each approval once, as the manager's.
    const audit = await until('approvals audited', async () => {
      const r = await rows<{ code: string; actor: string; doc: string; detail: { ticketId: string; staffName: string } }>(database, sql`select code, actor, doc, detail from audit where store = ${STORE} and kind = 'approval' order by id`)
      return r.length >= 2 ? r : undefined
    })
    // (One batch may project both tickets, in either order.)
    expect(audit.map((a) => [a.code, a.actor, a.detail.ticketId, a.detail.staffName]).sort()).toEqual([
      ['refund', `staff:${marta.id}`, refund!.id, 'Marta'],
      ['void_line', `staff:${marta.id}`, second.id, 'Marta'],
    ])

    // A rebuild projects every ticket again: the approvals stay in the rows, audited once.
    await relay.projector!.rebuild({ store: STORE })
    const again = await rows<{ n: number | string }>(database, sql`select count(*) as n from audit where store = ${STORE} and kind = 'approval'`)
    expect(Number(again[0]?.n)).toBe(2)
    const kept = await rows<{ approvals: Array<{ action: string }> }>(database, sql`select approvals from tickets where id = ${refund!.id}`)
    expect(kept[0]?.approvals.map((a) => a.action)).toEqual(['refund'])

    // Reports: by staff id (Ana made every ticket, the refund subtracts), refunds on their own line.
    const byStaff = await admin('GET', '/reports/sales?by=staff')
    const anaRow = byStaff.rows.find((r: { key: string }) => r.key === ana.id)
    expect(anaRow).toMatchObject({ label: 'Ana', tickets: 4, total: 3 * 350 + 350 - 700 + 350 })
    const approvalsReport = await admin('GET', '/reports/approvals')
    expect(approvalsReport.rows).toEqual([
      { staffId: marta.id, staffName: 'Marta', action: 'refund', approvals: 1, tickets: 1, total: -700 },
      { staffId: marta.id, staffName: 'Marta', action: 'void_line', approvals: 1, tickets: 1, total: 350 },
    ])
    const money = await admin('GET', '/reports/money')
    const day = money.rows ?? money.days
    const totals = (day as Array<{ refunds: number; refundTickets: number; sales: number }>).reduce((s, d) => ({ refunds: s.refunds + d.refunds, refundTickets: s.refundTickets + d.refundTickets, sales: s.sales + d.sales }), { refunds: 0, refundTickets: 0, sales: 0 })
    expect(totals).toEqual({ refunds: -700, refundTickets: 1, sales: 3 * 350 + 350 + 350 })
  }, 180_000)
})
