/**
 * The back office's "pending" per terminal is what the terminal app itself reports: its
 * sales not yet safe on the server. The real Terminal in Node against the real relay,
 * whose log holds its commits at a gate so the sales stay pending while connected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { createSyncClient } from '@tally/client'
import { readRoster } from '@tally/schema'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import type { UpdateLog } from '@tally/schema/db'
import { startTestRelay, type TestRelay } from '@tally/relay/testing'
import { Terminal } from '../../apps/web/src/pos/terminal.ts'
import { decodeTerminalToken } from '../../apps/web/src/pos/session.ts'
import { MemoryStorage } from '../../apps/web/src/pos/pos-testing.ts'
import { P, STORE, seedDemo, until } from './stack.ts'

const beer = { id: P.beer.id, name: P.beer.name, price: P.beer.price, taxRate: 1000 }

/** Appends wait while `held`; releasing lets every waiting commit through. */
function holdableLog(): { wrap: (log: UpdateLog) => UpdateLog; hold: () => void; release: () => void } {
  let gate: Promise<void> | null = null
  let open: () => void = () => {}
  return {
    hold: () => {
      gate ??= new Promise<void>((r) => (open = r))
    },
    release: () => {
      open()
      gate = null
    },
    wrap: (log) => ({
      ...log,
      channel: log.channel,
      async append(batch) {
        if (gate !== null) await gate
        return log.append(batch)
      },
    }),
  }
}

for (const backend of testBackends()) describe(`terminal report (${backend.name})`, () => {
  let database: TestDatabase
  let relay: TestRelay
  const log = holdableLog()
  let term: Terminal
  beforeAll(async () => {
    database = await backend.open()
    relay = await startTestRelay({ database, wrapLog: log.wrap })
    await seedDemo(database)
    const decoded = decodeTerminalToken(await relay.token({ role: 'terminal', store: STORE, sub: 'report-1' }))
    if (!decoded.ok) throw new Error(decoded.error)
    const client = createSyncClient({ url: relay.wsUrl, token: decoded.value.token, persistence: 'memory', WebSocket: WebSocket as never })
    term = new Terminal(decoded.value, client, 'Ana', new MemoryStorage())
    await term.start()
    await until('roster', () => term.roster !== null && readRoster(term.roster).length > 0)
  }, 240_000)
  afterAll(async () => {
    log.release()
    term?.destroy()
    await term?.client.destroy()
    await relay?.close()
    await database?.cleanup()
  })

  const dashboardRow = async (): Promise<{ pending: number | null; pendingChanges: number | null } | undefined> => {
    const token = await relay.token({ role: 'admin', store: STORE, sub: 'report-admin' })
    const res = await fetch(`${relay.httpUrl}/api/v1/dashboard`, { headers: { authorization: `Bearer ${token}` } })
    const body = (await res.json()) as { terminals: Array<{ terminalId: string; pending: number | null; pendingChanges: number | null }> }
    return body.terminals.find((t) => t.terminalId === 'report-1')
  }

  it('[POS9][RLY32] two sales not yet safe on the server show as 2 pending sales on the dashboard, then 0 once durable', async () => {
    await until('reported as 0 pending', async () => (await dashboardRow())?.pending === 0)
    log.hold()
    for (let i = 0; i < 2; i++) {
      term.addProduct(beer, 1)
      expect(await term.checkout('cash')).toBe(true)
    }
    expect(term.pendingSales).toBe(2)
    await until('reported as 2 pending sales', async () => (await dashboardRow())?.pending === 2)
    const row = await dashboardRow()
    // Internal changes (tickets, carts, consumption) are counted apart, never as sales.
    expect(row?.pendingChanges).toBeGreaterThanOrEqual(2)
    log.release()
    await until('reported as 0 pending once acknowledged', async () => (await dashboardRow())?.pending === 0)
    expect(term.pendingSales).toBe(0)
  }, 120_000)
})
