/**
 * The store hub's link to central, with real processes: terminals' updates acked by the
 * hub ("safe in the store") reach central exactly once and come back as "safe at HQ";
 * a hub token is held to its store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { ErrorCode, Mux, uuidv7 } from '@tally/schema'
import { sql } from 'drizzle-orm'
import { query, textArray } from '@tally/schema/db'
import { muxClient, type MuxClient } from './helpers/mux-client.ts'
import { HUB_NAME, openHubStack, rest, STORE, until, type HubStack } from './helpers/hub-stack.ts'

function cartEdits(n: number): Array<{ doc: string; id: string; update: Uint8Array }> {
  const out: Array<{ doc: string; id: string; update: Uint8Array }> = []
  const docs = [0, 1, 2].map(() => ({ name: `${STORE}/cart/${uuidv7()}`, ydoc: new Y.Doc() }))
  for (let i = 0; i < n; i++) {
    const d = docs[i % docs.length] as { name: string; ydoc: Y.Doc }
    const before = Y.encodeStateVector(d.ydoc)
    d.ydoc.getMap('lines').set(`line-${i}`, { productId: 'beer', qty: i + 1 })
    out.push({ doc: d.name, id: uuidv7(), update: Y.encodeStateAsUpdate(d.ydoc, before) })
  }
  return out
}

async function centralCopy(stack: HubStack, doc: string): Promise<Y.Doc> {
  const c = await muxClient(`${stack.central.wsUrl}/mux?token=${await stack.centralToken('terminal', 'reader')}`)
  await c.subscribe([doc])
  const y = new Y.Doc()
  for (const f of c.frames) if (f.type === Mux.sync && f.doc === doc) applySync(y, f.message)
  c.close()
  return y
}

/** Apply a y-protocols step 2 / update message (type byte, then the update). */
function applySync(y: Y.Doc, message: Uint8Array): void {
  if (message[0] === 1 || message[0] === 2) Y.applyUpdate(y, message.subarray(lengthPrefix(message, 1)))
}
function lengthPrefix(m: Uint8Array, at: number): number {
  let i = at
  while ((m[i] as number) & 0x80) i++
  return i + 1
}

describe('store hub link', () => {
  let stack: HubStack
  beforeAll(async () => {
    stack = await openHubStack()
  }, 60_000)
  afterAll(() => stack?.close())

  it('[HUB1][HUB3] a terminal on the hub is acked from the hub, then told "safe at HQ" for every entry once central holds it; central has each once', async () => {
    const t = await muxClient(`${stack.hub.wsUrl}/mux?token=${await stack.terminalToken('barra-1')}`)
    const edits = cartEdits(60)
    t.sendBatch(edits.map((e) => ({ type: Mux.update, doc: e.doc, updateId: e.id, update: e.update })))
    await t.until(() => edits.every((e) => t.acks.has(e.id)), 'hub acks')
    expect(t.frames.some((f) => f.type === Mux.hub)).toBe(true)
    const atHq = new Set<string>()
    await t.until(() => {
      for (const f of t.frames) if (f.type === Mux.hq) for (const id of f.updateIds) atHq.add(id)
      return edits.every((e) => atHq.has(e.id))
    }, 'safe at HQ for every entry', 30_000)
    t.close()
    const doc = edits[0]?.doc as string
    const copy = await centralCopy(stack, doc)
    const expected = edits.filter((e) => e.doc === doc).length
    expect(copy.getMap('lines').size).toBe(expected)
    if (stack.centralDb) {
      const rows = await query<{ n: string }>(stack.centralDb.db, sql`SELECT count(*) AS n FROM update_log WHERE update_id = ANY(${textArray(edits.map((e) => e.id))})`)
      expect(Number(rows[0]?.n)).toBe(edits.length)
    }
  })

  it('[HUB13] central\'s dashboard shows the hub linked, its lag and last contact; killed, it shows it down', async () => {
    const admin = await stack.centralToken('admin', 'manager')
    type D = { hubs: Array<{ hub: string; connected: boolean; rowsBehind: number | null; secondsBehind: number | null; lastContact: string | null }>; alerts: Array<{ message: string }> }
    const linked = await until('the hub linked and caught up on the dashboard', async () => {
      const d = await rest<D>(stack.central.httpUrl, admin, 'GET', '/dashboard')
      const h = d.hubs.find((x) => x.hub === HUB_NAME)
      return h && h.connected && h.rowsBehind === 0 ? h : undefined
    })
    expect(linked.secondsBehind).toBe(0)
    expect(linked.lastContact).not.toBeNull()
    await stack.hub.kill('SIGKILL')
    const down = await until('the hub shown down', async () => {
      const d = await rest<D>(stack.central.httpUrl, admin, 'GET', '/dashboard')
      const h = d.hubs.find((x) => x.hub === HUB_NAME)
      return h && !h.connected ? d : undefined
    }, 60_000)
    expect(down.alerts.some((a) => a.message.includes(`store hub ${HUB_NAME} is not linked`))).toBe(true)
    await stack.restartHub('SIGKILL')
  })

  it('[HUB4] a hub token writing another store is refused with wrong_store and audited at central', async () => {
    const hub = await muxClient(`${stack.central.wsUrl}/mux?token=${stack.hubToken}`)
    const y = new Y.Doc()
    y.getMap('lines').set('x', { qty: 1 })
    const id = uuidv7()
    hub.send({ type: Mux.update, doc: `other/cart/${uuidv7()}`, updateId: id, update: Y.encodeStateAsUpdate(y) })
    await hub.until(() => hub.errors.length > 0, 'the refusal')
    expect(hub.errors[0]).toMatchObject({ code: ErrorCode.wrongStore, updateId: id })
    hub.close()
    const admin = await stack.centralToken('admin', 'manager')
    const audit = await until('the audit row at central', async () => {
      const r = await fetch(`${stack.central.httpUrl}/api/v1/audit?kind=refusal`, { headers: { authorization: `Bearer ${admin}` } })
      type Row = { code: string; actor: string; detail: { updateId?: string } }
      const body = (await r.json()) as Row[] | { items: Row[] }
      return (Array.isArray(body) ? body : body.items).find((a) => a.code === ErrorCode.wrongStore && a.detail?.updateId === id)
    })
    expect(audit.actor).toBe(`hub:${HUB_NAME}`)
  })

  it('[HUB14] a terminal away while central took its entries asks on reconnect and learns they are safe at HQ', async () => {
    await stack.central.kill('SIGKILL')
    const token = await stack.terminalToken('barra-3')
    const first = await muxClient(`${stack.hub.wsUrl}/mux?token=${token}`)
    const edits = cartEdits(30)
    first.sendBatch(edits.map((e) => ({ type: Mux.update, doc: e.doc, updateId: e.id, update: e.update })))
    await first.until(() => edits.every((e) => first.acks.has(e.id)), 'hub acks')
    expect(first.frames.some((f) => f.type === Mux.hq)).toBe(false)
    first.close()
    await stack.restartCentral('SIGKILL')
    const admin = await stack.centralToken('admin', 'manager')
    await until('central caught up with the hub', async () => {
      const d = await rest<{ hubs: Array<{ hub: string; connected: boolean; rowsBehind: number | null }> }>(stack.central.httpUrl, admin, 'GET', '/dashboard')
      return d.hubs.some((h) => h.hub === HUB_NAME && h.connected && h.rowsBehind === 0)
    }, 60_000)
    const again = await muxClient(`${stack.hub.wsUrl}/mux?token=${token}`)
    const byDoc = new Map<string, string[]>()
    for (const e of edits) byDoc.set(e.doc, [...(byDoc.get(e.doc) ?? []), e.id])
    for (const [doc, updateIds] of byDoc) again.send({ type: Mux.hq, doc, updateIds })
    const held = new Set<string>()
    await again.until(() => {
      for (const f of again.frames) if (f.type === Mux.hq) for (const id of f.updateIds) held.add(id)
      return edits.every((e) => held.has(e.id))
    }, 'the answers')
    // Asking central itself gives the same answer (it holds them in its log).
    const atCentral = await muxClient(`${stack.central.wsUrl}/mux?token=${await stack.centralToken('terminal', 'barra-3')}`)
    const doc = edits[0]?.doc as string
    atCentral.send({ type: Mux.hq, doc, updateIds: [...(byDoc.get(doc) ?? []), 'never-sent'] })
    await atCentral.until(() => atCentral.frames.some((f) => f.type === Mux.hq), 'central answers')
    const answer = atCentral.frames.find((f) => f.type === Mux.hq) as { updateIds: string[] }
    expect(new Set(answer.updateIds)).toEqual(new Set(byDoc.get(doc)))
    again.close()
    atCentral.close()
  })
})
