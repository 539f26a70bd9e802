/**
 * The Yjs fuzz's world and sender: documents with something to protect (targets) and one
 * attack (gen-yjs.ts) sent over /mux or /sync on a bare socket.
 */
import * as encoding from 'lib0/encoding'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'
import { Mux, YMessage, catalogDocName, encodeMux, readVerdict, rosterDocName, ticketDocName, uuidv7, visitDocName } from '@tally/schema'
import { stableUuid } from '@tally/projections'
import type { InputResult } from './batches.ts'
import type { World } from './checks.ts'
import type { DocTarget } from './forbidden-roots.ts'
import { buildAttack, pickTarget, type AttackInput } from './gen-yjs.ts'
import type { RelayHost } from './host.ts'
import { muxProbeAnswered, observe, syncProbeAnswered } from './observe.ts'
import { rawUpgrade } from './raw-ws.ts'

async function api(host: RelayHost, token: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const r = await fetch(`${host.httpUrl}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await r.text()
  if (r.status >= 300) throw new Error(`setup: ${method} ${path} answered ${r.status}: ${text}`)
  return JSON.parse(text) as unknown
}

async function until(cond: () => Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + 20_000
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`setup: timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/**
 * Documents with something to protect: three tickets with the projection's verdict (one
 * voided by an admin), a closed and an open visit, the catalog and the roster.
 */
export async function targets({ host }: Omit<World, 'targets'>): Promise<DocTarget[]> {
  const terminal = await host.token({ store: 'store1', sub: 'victim' })
  const admin = await host.token({ role: 'admin', store: 'store1', sub: 'boss' })
  const ids = [uuidv7(), uuidv7(), uuidv7()]
  await api(host, terminal, 'POST', '/sales/sync/upload', {
    sales: ids.map((local_id) => ({ local_id, items: [{ product_id: 'store1-day-pass', quantity: 1 }], payment_method: 'cash' })),
  })
  for (const id of ids) {
    await until(async () => {
      const bytes = await host.relayDoc(ticketDocName('store1', id))
      const d = new Y.Doc()
      if (bytes) Y.applyUpdate(d, bytes)
      return readVerdict(d) !== undefined
    }, `the verdict of ticket ${id}`)
  }
  await api(host, admin, 'POST', `/tickets/${ids[2]}/void`, { reason: 'fuzz setup' })
  const closed = stableUuid('store1/visit/0')
  await api(host, admin, 'POST', `/visits/${closed}/close`)
  return [
    ...ids.map((id): DocTarget => ({ doc: ticketDocName('store1', id), kind: 'ticket' })),
    { doc: visitDocName('store1', closed), kind: 'visit' },
    { doc: visitDocName('store1', stableUuid('store1/visit/1')), kind: 'visit' },
    { doc: catalogDocName('store1'), kind: 'catalog' },
    { doc: rosterDocName('store1'), kind: 'roster' },
  ]
}

function syncUpdate(update: Uint8Array): Uint8Array {
  const e = encoding.createEncoder()
  syncProtocol.writeUpdate(e, update)
  return encoding.toUint8Array(e)
}

export async function attack(w: World, a: AttackInput, label: string): Promise<InputResult> {
  const t = pickTarget(a, w.targets)
  const updates = buildAttack(a, t, await w.host.relayDoc(t.doc))
  const token = await w.host.token({ store: 'store1', sub: 'mallory' })
  const what = `${label} on ${t.doc}`
  const out =
    a.transport === 'sync'
      ? await rawUpgrade(w.host.port, `/sync/${t.doc}?token=${token}&acks=1`, {
          send: updates.map((u) => {
            const e = encoding.createEncoder()
            encoding.writeVarUint(e, YMessage.sync)
            syncProtocol.writeUpdate(e, u)
            return encoding.toUint8Array(e)
          }),
          probe: { bytes: Uint8Array.of(YMessage.queryAwareness), answered: syncProbeAnswered },
          waitFirst: true,
        })
      : await rawUpgrade(w.host.port, `/mux?token=${token}`, {
          // One message: every frame of the attack is handled in one turn, before any commit.
          send: [
            encodeMux({
              type: Mux.batch,
              frames:
                a.transport === 'mux-sync'
                  ? [encodeMux({ type: Mux.subscribe, docs: [{ doc: t.doc, stateVector: new Uint8Array([0]) }] }), ...updates.map((u) => encodeMux({ type: Mux.sync, doc: t.doc, message: syncUpdate(u) }))]
                  : updates.map((u, i) => encodeMux({ type: Mux.update, doc: t.doc, updateId: `fuzz-${a.client}-${i}`, update: u })),
            }),
          ],
          probe: { bytes: encodeMux({ type: Mux.subscribe, docs: [] }), answered: muxProbeAnswered },
        })
  const seen = observe(out, a.transport !== 'sync', 'store1', what)
  return { refusals: seen.refusals, problems: seen.problems.map((detail) => ({ id: 'RLY5' as const, detail })) }
}

