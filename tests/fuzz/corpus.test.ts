/**
 * The fuzz suite's corpus: the smallest inputs that broke a promise, each replayed alone
 * (one batch of one input, then every check of checks.ts). They stay after their fix as
 * regression inputs. Ordered so that an input which stops the projection comes last: on
 * code that still has the bug it would make the entries after it fail too.
 */
import { afterAll, describe, it } from 'vitest'
import fc from 'fast-check'
import { uuidv7 } from '@tally/schema'
import { testBackends } from '@tally/schema/db/testing'
import { fuzzBatches } from './batches.ts'
import type { World } from './checks.ts'
import type { UpgradeInput } from './gen-wire.ts'
import type { AttackInput } from './gen-yjs.ts'
import type { RestInput } from './gen-rest.ts'
import { hit } from './send-wire.ts'
import { attack, targets } from './send-yjs.ts'
import { request } from './send-rest.ts'
import { sharedWorld } from './world.ts'

const valid = { token: 'valid', garbage: '', acks: null, extra: '', escape: true } as const
const sale = (line: Record<string, unknown>, over: Record<string, unknown> = {}) => ({
  id: 'corpus',
  storeId: 'store1',
  terminalId: 'mallory',
  cashier: '',
  clientTime: '2026-12-01T10:00:00.000Z',
  lines: [{ lineId: 'l1', productId: 'store1-day-pass', name: 'x', qty: 1, unitPrice: 1200, taxRate: 0, total: 1200, ...line }],
  total: 1200,
  payment: { method: 'cash', amount: 1200 },
  visitId: null,
  bracelet: null,
  cartId: null,
  ...over,
})

type Entry =
  | { name: string; kind: 'wire'; input: UpgradeInput }
  | { name: string; kind: 'yjs'; input: AttackInput }
  | { name: string; kind: 'rest'; input: RestInput }

const CORPUS: Entry[] = [
  { name: '[FZ1] an upgrade to /sync/% (malformed percent-escape)', kind: 'wire', input: { path: '/sync/%', query: valid, frames: [] } },
  { name: '[FZ3] an oversize message on an authenticated /mux is audited for its store', kind: 'wire', input: { path: '/mux', query: valid, frames: [{ t: 'oversize', extra: 1 }] } },
  { name: '[FZ3] a subscribe naming "store1/cart/\\u0000" is audited', kind: 'wire', input: { path: '/mux', query: valid, frames: [{ t: 'subscribe', docs: ['store1/cart/\u0000'], sv: new Uint8Array([0]) }] } },
  { name: '[RLY5] an outbox update with id "\\u0000" gets a typed refusal, not "the log is unavailable"', kind: 'wire', input: { path: '/mux', query: valid, frames: [{ t: 'update', doc: `store1/cart/${uuidv7()}`, updateId: '\u0000', valid: true, client: 7, garbage: new Uint8Array() }] } },
  {
    name: "[FZ2] a pending struct then its ids reused in a ticket's void (one /mux batch)",
    kind: 'yjs',
    input: { a: 'pending-reuse', target: 0, root: 1, key: 'mark', payload: { nested: 0, value: 'forged' }, gcPad: false, transport: 'mux-sync', client: 1234 },
  },
  {
    name: "[FZ2] a pending struct then its ids reused in a visit's closing (one /mux batch)",
    kind: 'yjs',
    input: { a: 'pending-reuse', target: 4, root: 0, key: 'closing', payload: { nested: 0, value: { closedAt: '2026-12-01T00:00:00.000Z', by: 'x' } }, gcPad: false, transport: 'mux-sync', client: 1238 },
  },
  { name: "[FZ2] a verdict planted on the id of the projection's next write, then a sale edit", kind: 'yjs', input: { a: 'future-origin', target: 0, mode: 'insert', transport: 'mux-update', client: 4321 } },
  { name: "[FZ2] a deletion of the id of the projection's next verdict, then a sale edit", kind: 'yjs', input: { a: 'future-origin', target: 0, mode: 'delete', transport: 'mux-update', client: 4322 } },
  { name: '[FZ3] a terminal on POST /products (403) is audited', kind: 'rest', input: { method: 'POST', path: '/products', caller: 'terminal', body: { json: { name: 'x', price: 1 } } } },
  { name: '[FZ3] an admin body with price 2^53 (400) is audited', kind: 'rest', input: { method: 'POST', path: '/products', caller: 'admin', body: { json: { name: 'x', price: 2 ** 53 } } } },
  { name: '[FZ3] an empty login body (400) is in the operator log', kind: 'rest', input: { method: 'POST', path: '/auth/login', caller: 'anonymous', body: { json: {} } } },
  { name: '[FZ3] a forged token on GET /dashboard (401) is in the operator log', kind: 'rest', input: { method: 'GET', path: '/dashboard', caller: 'forged', body: null } },
  {
    name: '[API5][FZ3] an uploaded sale with product_id "\\u0000" is refused with a reason and audited',
    kind: 'rest',
    input: { method: 'POST', path: '/sales/sync/upload', caller: 'terminal', body: { json: { sales: [{ local_id: '01a23199-f165-70f4-aadc-8b37b09a947a', items: [{ product_id: '\u0000', quantity: 1 }] }] } } },
  },
  // These stopped the projection for every store: last.
  {
    name: '[FZ4] a REST sale with client_time +275760-09-13',
    kind: 'rest',
    input: { method: 'POST', path: '/sales/sync/upload', caller: 'terminal', body: { json: { sales: [{ local_id: '01a2319f-4d61-7095-bea1-000000000001', items: [{ product_id: 'store1-day-pass', quantity: 1 }], payment_method: 'cash', client_time: '+275760-09-13T00:00:00.000Z' }] } } },
  },
  { name: '[FZ4] a Yjs sale line with qty 3000000000', kind: 'yjs', input: { a: 'hostile-sale', target: 0, sale: sale({ qty: 3_000_000_000, unitPrice: 1, total: 3_000_000_000 }, { total: 3_000_000_000, payment: { method: 'cash', amount: 3_000_000_000 } }), transport: 'mux-update', client: 77 } },
  { name: '[FZ4] a Yjs sale with clientTime +275760-09-13', kind: 'yjs', input: { a: 'hostile-sale', target: 1, sale: sale({}, { clientTime: '+275760-09-13T00:00:00.000Z' }), transport: 'mux-update', client: 78 } },
]

function replay(w: World, e: Entry): Promise<void> {
  const one = (input: unknown, label: string) =>
    e.kind === 'wire' ? hit(w, input as UpgradeInput, label) : e.kind === 'yjs' ? attack(w, input as AttackInput, label) : request(w, input as RestInput, label)
  return fuzzBatches(w, { suite: 'corpus', file: 'corpus.test.ts', ruleId: e.name.replace(/[^A-Za-z0-9 ]/g, '.'), runs: 1, batch: 1, arb: fc.constant(e.input as unknown), one })
}

for (const backend of testBackends()) {
  describe(`fuzz corpus on ${backend.name}`, () => {
    const world = sharedWorld(backend.name, targets)
    afterAll(() => world.close())
    for (const e of CORPUS) it(`${e.name}: every promise holds`, async () => replay(await world.get(), e), 120_000)
  })
}
