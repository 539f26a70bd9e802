/**
 * Hostile websocket traffic: upgrade request targets (malformed percent-escapes, `..`,
 * overlong, NUL, non-ASCII), query strings and tokens (garbage, alg:none, forged,
 * expired, another store's), and raw /sync and /mux frames (random bytes, truncated
 * varints, huge lengths, unknown types, nested batches, hostile document names and
 * update ids, oversize messages). Inputs are small descriptions; bytes are built on use,
 * so a failure prints the description, not megabytes.
 */
import fc from 'fast-check'
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'
import { Mux, YMessage, encodeMux } from '@tally/schema'

export const TokenKind = ['valid', 'valid-store2', 'admin', 'expired', 'alg-none', 'forged', 'garbage', 'missing', 'duplicate'] as const
export type TokenKind = (typeof TokenKind)[number]

/** Tokens with a valid signature and expiry: their refusals belong to their store. */
export const tokenStore = (k: TokenKind): string | null => (k === 'valid' || k === 'admin' || k === 'duplicate' ? 'store1' : k === 'valid-store2' ? 'store2' : null)

const uuid = fc.uuid({ version: 7 })

export const hostileDocName: fc.Arbitrary<string> = fc.oneof(
  uuid.map((u) => `store1/cart/${u}`),
  uuid.map((u) => `store2/cart/${u}`),
  uuid.map((u) => `store1/ticket/${u}\u0000`),
  uuid.map((u) => `store1/cart/${u.toUpperCase()}`),
  fc.constantFrom('store1/catalog', 'store1/roster', 'store2/catalog', 'store1/cart/\u0000', '\u0000', '', 'store1/cart/../catalog', 'störe/cart/x', 'store1/visit', 'store1/catalog/extra'),
  fc.constantFrom(199, 200, 201, 5000).map((n) => `store1/cart/${'a'.repeat(n)}`),
  fc.string({ unit: 'binary', maxLength: 40 }),
)

const hostileUpdateId = fc.oneof(fc.constantFrom('', 'u1', '\u0000', 'a\u0000b', 'é🍺', '\ud800'), fc.string({ unit: 'binary', maxLength: 20 }), fc.constant('x'.repeat(10_000)))

/** A valid, small Yjs update (a cart line), for frames that need one. */
function cartUpdate(client: number): Uint8Array {
  const d = new Y.Doc()
  d.clientID = client
  d.getMap('lines').set('fuzz', client)
  return Y.encodeStateAsUpdate(d)
}

export type FrameSpec =
  | { t: 'random'; bytes: Uint8Array }
  | { t: 'varint-overflow'; type: number }
  | { t: 'huge-length'; type: number }
  | { t: 'unknown-type'; type: number; rest: Uint8Array }
  | { t: 'truncated'; of: FrameSpec; cut: number }
  | { t: 'oversize'; extra: number }
  // mux only
  | { t: 'nested-batch' }
  | { t: 'batch-count'; count: number }
  | { t: 'subscribe'; docs: string[]; sv: Uint8Array }
  | { t: 'update'; doc: string; updateId: string; valid: boolean; client: number; garbage: Uint8Array }
  | { t: 'sync-unsubscribed'; doc: string }
  | { t: 'server-type'; type: 4 | 5 | 8 }
  | { t: 'awareness'; doc: string; bytes: Uint8Array }
  // sync only
  | { t: 'sync-type'; syncType: number; bytes: Uint8Array }
  | { t: 'sync-update'; valid: boolean; client: number; garbage: Uint8Array }
  | { t: 'sync-awareness'; bytes: Uint8Array }

const smallBytes = fc.uint8Array({ minLength: 0, maxLength: 120 })

const common: fc.Arbitrary<FrameSpec> = fc.oneof(
  fc.record({ t: fc.constant('random' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 200 }) }),
  fc.record({ t: fc.constant('varint-overflow' as const), type: fc.integer({ min: 0, max: 8 }) }),
  fc.record({ t: fc.constant('huge-length' as const), type: fc.integer({ min: 0, max: 8 }) }),
  fc.record({ t: fc.constant('unknown-type' as const), type: fc.oneof(fc.integer({ min: 9, max: 99 }), fc.integer({ min: 102, max: 2 ** 32 })), rest: smallBytes }),
  fc.record({ t: fc.constant('oversize' as const), extra: fc.oneof(fc.integer({ min: 1, max: 4096 }), fc.constant(4 * 1024 * 1024)) }),
)

const muxOnly: fc.Arbitrary<FrameSpec> = fc.oneof(
  fc.constant({ t: 'nested-batch' as const }),
  fc.record({ t: fc.constant('batch-count' as const), count: fc.constantFrom(2 ** 31, 2 ** 32 - 1, 5001) }),
  fc.record({ t: fc.constant('subscribe' as const), docs: fc.array(hostileDocName, { minLength: 1, maxLength: 4 }), sv: fc.oneof(fc.constant(new Uint8Array([0])), smallBytes) }),
  fc.record({ t: fc.constant('update' as const), doc: hostileDocName, updateId: hostileUpdateId, valid: fc.boolean(), client: fc.integer({ min: 1, max: 2 ** 32 - 1 }), garbage: smallBytes }),
  fc.record({ t: fc.constant('sync-unsubscribed' as const), doc: hostileDocName }),
  fc.record({ t: fc.constant('server-type' as const), type: fc.constantFrom(4 as const, 5 as const, 8 as const) }),
  fc.record({ t: fc.constant('awareness' as const), doc: hostileDocName, bytes: smallBytes }),
)

const syncOnly: fc.Arbitrary<FrameSpec> = fc.oneof(
  fc.record({ t: fc.constant('sync-type' as const), syncType: fc.integer({ min: 0, max: 40 }), bytes: smallBytes }),
  fc.record({ t: fc.constant('sync-update' as const), valid: fc.boolean(), client: fc.integer({ min: 1, max: 2 ** 32 - 1 }), garbage: smallBytes }),
  fc.record({ t: fc.constant('sync-awareness' as const), bytes: smallBytes }),
)

export const muxFrame: fc.Arbitrary<FrameSpec> = fc.oneof({ arbitrary: common, weight: 2 }, { arbitrary: muxOnly, weight: 3 }).chain((f) =>
  fc.oneof({ arbitrary: fc.constant(f), weight: 4 }, { arbitrary: fc.integer({ min: 1, max: 30 }).map((cut): FrameSpec => ({ t: 'truncated', of: f, cut })), weight: 1 }),
)
export const syncFrame: fc.Arbitrary<FrameSpec> = fc.oneof({ arbitrary: common, weight: 2 }, { arbitrary: syncOnly, weight: 3 }).chain((f) =>
  fc.oneof({ arbitrary: fc.constant(f), weight: 4 }, { arbitrary: fc.integer({ min: 1, max: 30 }).map((cut): FrameSpec => ({ t: 'truncated', of: f, cut })), weight: 1 }),
)

export const MAX_MESSAGE_BYTES = 1024 * 1024

export function buildFrame(f: FrameSpec): Uint8Array {
  const e = encoding.createEncoder()
  switch (f.t) {
    case 'random':
      return f.bytes
    case 'varint-overflow':
      return Uint8Array.from([f.type, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
    case 'huge-length':
      // A type, then a length prefix claiming ~4 GiB, then almost nothing.
      return Uint8Array.from([f.type, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3])
    case 'unknown-type':
      encoding.writeVarUint(e, f.type)
      encoding.writeUint8Array(e, f.rest)
      return encoding.toUint8Array(e)
    case 'truncated': {
      const full = buildFrame(f.of)
      return full.slice(0, Math.max(1, full.length - f.cut))
    }
    case 'oversize':
      return new Uint8Array(MAX_MESSAGE_BYTES + f.extra)
    case 'nested-batch':
      return encodeMux({ type: Mux.batch, frames: [encodeMux({ type: Mux.batch, frames: [] })] })
    case 'batch-count':
      encoding.writeVarUint(e, Mux.batch)
      encoding.writeVarUint(e, f.count)
      encoding.writeVarUint8Array(e, new Uint8Array([1]))
      return encoding.toUint8Array(e)
    case 'subscribe':
      return encodeMux({ type: Mux.subscribe, docs: f.docs.map((doc) => ({ doc, stateVector: f.sv })) })
    case 'update':
      return encodeMux({ type: Mux.update, doc: f.doc, updateId: f.updateId, update: f.valid ? cartUpdate(f.client) : f.garbage })
    case 'sync-unsubscribed':
      return encodeMux({ type: Mux.sync, doc: f.doc, message: Uint8Array.from([0, 0, 0]) })
    case 'server-type':
      if (f.type === 4) return encodeMux({ type: Mux.ack, doc: 'store1/catalog', acks: [{ updateId: 'x', seq: 1 }], stateVector: new Uint8Array([0]) })
      if (f.type === 5) return encodeMux({ type: Mux.error, code: 'x', reason: 'y', doc: 'store1/catalog', updateId: '' })
      return encodeMux({ type: Mux.subscribed, docs: ['store1/catalog'] })
    case 'awareness':
      return encodeMux({
        type: Mux.batch,
        frames: [encodeMux({ type: Mux.subscribe, docs: [{ doc: f.doc, stateVector: new Uint8Array([0]) }] }), encodeMux({ type: Mux.awareness, doc: f.doc, update: f.bytes })],
      })
    case 'sync-type':
      encoding.writeVarUint(e, YMessage.sync)
      encoding.writeVarUint(e, f.syncType)
      encoding.writeUint8Array(e, f.bytes)
      return encoding.toUint8Array(e)
    case 'sync-update':
      encoding.writeVarUint(e, YMessage.sync)
      encoding.writeVarUint(e, 2)
      encoding.writeVarUint8Array(e, f.valid ? cartUpdate(f.client) : f.garbage)
      return encoding.toUint8Array(e)
    case 'sync-awareness':
      encoding.writeVarUint(e, YMessage.awareness)
      encoding.writeVarUint8Array(e, f.bytes)
      return encoding.toUint8Array(e)
  }
}

// ---- upgrade request targets --------------------------------------------------------

const segment = fc.oneof(
  fc.constantFrom('store1', 'store2', 'cart', 'ticket', 'visit', 'catalog', 'roster', '..', '.', '%', '%%', '%2F', '%2e%2e', '%00', '%ff', '%C0%AF', '%E0%A4%A', '%zz', '', 'ö', '\u0000'),
  uuid,
  fc.string({ unit: 'binary-ascii', maxLength: 8 }),
)

export const upgradePath: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '/sync/%',
    '/sync/%E0%A4%A',
    '/sync/%%',
    '/sync/..%2F..%2Fstore2%2Fcatalog',
    '/sync/store1/../store2/catalog',
    '/sync/store1%2Fcatalog',
    '/sync/store1/catalog',
    '/sync/store2/catalog',
    '/sync/',
    '/sync',
    '/mux',
    '/mux/',
    '//mux',
    '/MUX',
    '/sync/store1/ticket/not-a-uuid',
    '/sync/%00',
    '/sync/store1/cart/%00',
  ),
  fc.constantFrom(199, 201, 5000, 20_000).map((n) => `/sync/store1/cart/${'a'.repeat(n)}`),
  fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => `/sync/${s.join('/')}`),
  uuid.map((u) => `/sync/store1/cart/${u}`),
  fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) => `/sync/store1/cart/${encodeURIComponent(s)}`),
)

export interface QuerySpec {
  token: TokenKind
  garbage: string
  acks: string | null
  extra: string
  /** Percent-escape the token (as a client should) or send it raw. */
  escape: boolean
}

export const querySpec: fc.Arbitrary<QuerySpec> = fc.record({
  token: fc.constantFrom(...TokenKind),
  garbage: fc.oneof(fc.constantFrom('', '%', 'a.b.c', 'eyJ', '\u0000', 'null'), fc.string({ unit: 'binary', maxLength: 40 })),
  acks: fc.option(fc.constantFrom('1', '0', '%', '\u0000'), { freq: 3 }),
  extra: fc.oneof(fc.constant(''), fc.constantFrom('&%=%', '&a=%zz', '&&&', '&token', '&=', '&x=\u00ff')),
  escape: fc.boolean(),
})

/** Every upgrade-level input: where, with what query, then which frames. */
export interface UpgradeInput {
  path: string
  query: QuerySpec
  frames: FrameSpec[]
}

export const upgradeInput: fc.Arbitrary<UpgradeInput> = fc
  .record({ path: upgradePath, query: querySpec })
  .chain(({ path, query }) =>
    fc.array(path.startsWith('/mux') ? muxFrame : syncFrame, { maxLength: 3 }).map((frames) => ({ path, query, frames })),
  )

/** The request target bytes: non-ASCII and NUL go out raw, as a hostile client sends them. */
export function requestTarget(path: string, q: QuerySpec, token: string | null): Buffer {
  const enc = (s: string) => {
    if (!q.escape) return s
    try {
      return encodeURIComponent(s)
    } catch {
      return s // a lone surrogate: sent raw
    }
  }
  const parts: string[] = []
  if (token !== null) parts.push(`token=${enc(token)}`)
  if (q.token === 'duplicate' && token !== null) parts.push(`token=${enc(q.garbage)}`)
  if (q.acks !== null) parts.push(`acks=${q.acks}`)
  const query = parts.join('&') + q.extra
  return Buffer.from(`${path}${query ? `?${query}` : ''}`, 'utf8')
}
