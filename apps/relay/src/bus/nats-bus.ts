/**
 * The relay bus on NATS: post-commit fan-out of log rows, one subject per document, and
 * awareness between relays. Postgres stays the one durable log; NATS is how a relay
 * usually learns of another relay's commit *with its bytes*, so it needs no read.
 *
 * Why a missed message costs a read and never data:
 * - Core NATS is at-most-once. A message is lost when this relay's link drops (the server
 *   forgets a cut-off subscriber), when a publisher's link drops before it flushed, or when
 *   a subscriber falls behind (slow consumer). Each of those ends in a gap signal: our own
 *   reconnect (`reconnect` status, after the server has our subscriptions again), a
 *   publisher's reconnect (it broadcasts on `tally.<schema>.gap`), a `slowConsumer`
 *   status. On a gap the registry catches up every held document from the log.
 * - A message can also be lost with no signal at all (a publisher killed between commit and
 *   publish: the row is durable, the announcement never leaves). Nothing on the bus can
 *   notice that, which is why the feed is combined with the Postgres one (combined-feed.ts):
 *   the row's NOTIFY is sent by the commit itself, so it is the one signal that cannot be
 *   lost with the publisher; it is held for a short grace while NATS brings the bytes, and
 *   read from the log when NATS did not. The registry's slow periodic check bounds the rest.
 * - Sequences cannot reveal a miss: the log's sequence is global, so one document's seqs
 *   are not contiguous (8, 15, 16, 40 is normal), and rows become visible in commit order,
 *   not seq order (two relays commit at once), so a message with a lower seq may arrive
 *   after a higher one. A relay therefore never infers "I have everything up to seq N" from
 *   what the bus delivered: bytes are applied as they come (Yjs updates are idempotent and
 *   commutative; an update whose dependencies are still missing waits inside the Y.Doc as
 *   pending structs until they arrive), and "everything up to N" is only learned by reading
 *   the log (catch-up, load, compaction's watermark read).
 * - One commit round's rows of one document go out as one message (they arrive together or
 *   not at all), which is what lets combined-feed.ts match the Postgres feed's one notice
 *   per document and commit (named by its lowest seq) with the NATS copy.
 * - Updates over `maxAnnounceBytes` (256 KiB) are announced without bytes: the reader reads
 *   that one row. NATS's own payload limit (1 MiB by default) is never approached.
 *
 * Awareness (presence) is memory-only: a relay publishes what its own clients send and the
 * removals when they leave, applies what other relays publish, and never logs any of it.
 * A dead relay's clients vanish from the others by the awareness protocol's own 30 s
 * outdated timeout: their states stop being renewed.
 */
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node'
import type { Logger } from 'pino'
import { Counter, type Registry } from 'prom-client'
import type { ReadinessCheck } from '../readiness.ts'
import type { ChangeFeed, LogChange } from './change-feed.ts'
import { docWildcard, gapSubject, parseSubject, subjectOf, SubjectKind } from './subjects.ts'
import { decodeAwarenessMessage, decodeChanges, decodeGap, encodeAwarenessMessage, encodeChanges, encodeGap, type ChangeRow } from './wire.ts'

/** Updates larger than this go out without bytes; the reader reads the row from the log. */
export const DEFAULT_MAX_ANNOUNCE_BYTES = 256 * 1024
/** How long the first connect may take before startup fails naming NATS_URL. */
export const DEFAULT_NATS_CONNECT_TIMEOUT_MS = 5_000

/** Presence between relays: what the registry publishes and applies. */
export interface AwarenessBus {
  /** An awareness update (or removal) of this relay's own clients, for other relays. */
  publishAwareness(doc: string, update: Uint8Array): void
  /** Another relay's clients' awareness for a watched document. */
  onAwareness(cb: (doc: string, update: Uint8Array) => void): () => void
  /**
   * Another relay began holding a document we watch and asks for the states our clients
   * hold (answer with `publishAwareness`), so its clients see them now, not at their next
   * renewal (up to 15 s later).
   */
  onAwarenessQuery(cb: (doc: string) => void): () => void
  /** Ask the relays holding `doc` for their clients' states (answers arrive by `onAwareness`). */
  queryAwareness(doc: string): void
}

export interface NatsBus extends ChangeFeed, AwarenessBus {
  /** `/readyz`: `nats` answers a round trip (PING/PONG) now. */
  readonly readiness: ReadinessCheck
  /** Documents with a subscription (tests and metrics). */
  readonly watched: number
  /** Count what the bus carries into a relay's metrics registry. */
  registerMetrics(registry: Registry): void
}

/** NATS could not be reached at startup: one line naming NATS_URL (startup-error.ts). */
export class NatsUnreachableError extends Error {
  override readonly name = 'NatsUnreachableError'
  constructor(
    readonly url: string,
    cause: string,
  ) {
    super(`NATS at ${url} (NATS_URL) is not reachable: ${cause}; start nats-server or fix NATS_URL`)
  }
}

export interface NatsBusOptions {
  /** One or more server URLs, comma-separated (`nats://127.0.0.1:4222`). */
  url: string
  /** The database schema: relays on one NATS but different schemas never hear each other. */
  schema: string
  /** This process on the bus (gap broadcasts and awareness name it; it ignores its own). */
  instance: string
  logger: Logger
  maxAnnounceBytes?: number
  connectTimeoutMs?: number
}

function reasonOf(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } }
  const code = e.cause?.code ?? e.code
  const text = (e.cause?.message ?? e.message ?? String(err)).split('\n')[0] ?? ''
  return code && !text.includes(code) ? `${code} ${text}` : text
}

/** A URL with its credentials hidden, for messages and logs. */
function redact(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//***@')
}

export async function connectNatsBus(opts: NatsBusOptions): Promise<NatsBus> {
  const servers = opts.url.split(',').map((s) => s.trim()).filter(Boolean)
  const maxAnnounceBytes = opts.maxAnnounceBytes ?? DEFAULT_MAX_ANNOUNCE_BYTES
  let nc: NatsConnection
  try {
    nc = await connect({
      servers,
      name: `tally ${opts.instance}`,
      // Our own announcements never come back to us.
      noEcho: true,
      // Keep trying for as long as the relay runs: the log carries on meanwhile.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      reconnectJitter: 250,
      // A silently dead link is noticed within ~15 s (then reconnect, then a gap).
      pingInterval: 5_000,
      maxPingOut: 3,
      timeout: opts.connectTimeoutMs ?? DEFAULT_NATS_CONNECT_TIMEOUT_MS,
    })
  } catch (err) {
    throw new NatsUnreachableError(redact(opts.url), reasonOf(err))
  }

  const changeListeners = new Set<(changes: readonly LogChange[]) => void>()
  const gapListeners = new Set<() => void>()
  const awarenessListeners = new Set<(doc: string, update: Uint8Array) => void>()
  const queryListeners = new Set<(doc: string) => void>()
  const subs = new Map<string, Subscription>()
  let connected = true
  let closed = false

  const counters = {
    announced: new Counter({ name: 'tally_bus_announced_total', help: 'Log rows this relay announced on NATS', labelNames: ['bytes'] as const, registers: [] }),
    received: new Counter({ name: 'tally_bus_received_total', help: 'Log rows of held documents heard from other relays on NATS', labelNames: ['bytes'] as const, registers: [] }),
    awareness: new Counter({ name: 'tally_bus_awareness_total', help: 'Awareness updates published (out) and applied from other relays (in)', labelNames: ['direction'] as const, registers: [] }),
    gaps: new Counter({ name: 'tally_bus_gaps_total', help: 'Times the bus may have missed messages (reconnects, slow consumer, a publisher that reconnected)', registers: [] }),
    malformed: new Counter({ name: 'tally_bus_malformed_total', help: 'Bus messages this relay could not read (another version?)', registers: [] }),
  }

  // Changes heard in one read of the socket reach the registry as one batch.
  let batch: LogChange[] | null = null
  function deliver(change: LogChange): void {
    if (!batch) {
      const mine: LogChange[] = []
      batch = mine
      queueMicrotask(() => {
        batch = null
        for (const cb of changeListeners) cb(mine)
      })
    }
    batch.push(change)
  }

  let gapQueued = false
  function gap(why: string): void {
    if (closed) return
    counters.gaps.inc()
    opts.logger.info({ why }, 'NATS bus may have missed messages; catching up from the log')
    if (gapQueued) return
    gapQueued = true
    queueMicrotask(() => {
      gapQueued = false
      for (const cb of gapListeners) cb()
    })
  }

  let warnedMalformed = false
  function malformed(subject: string): void {
    counters.malformed.inc()
    if (!warnedMalformed) opts.logger.warn({ subject }, 'a NATS bus message did not decode; ignoring it (a relay of another version?)')
    warnedMalformed = true
  }

  function onDocMessage(subject: string, data: Uint8Array): void {
    const parsed = parseSubject(opts.schema, subject)
    if (!parsed || !subs.has(parsed.doc)) return
    if (parsed.kind === SubjectKind.doc) {
      const p = decodeChanges(data)
      if (!p) return malformed(subject)
      for (const r of p.rows) {
        counters.received.inc({ bytes: r.bytes ? 'yes' : 'no' })
        deliver(r.bytes ? { doc: parsed.doc, seq: r.seq, origin: p.origin, bytes: r.bytes } : { doc: parsed.doc, seq: r.seq, origin: p.origin })
      }
    } else {
      const a = decodeAwarenessMessage(data)
      if (!a) return malformed(subject)
      if (a.origin === opts.instance) return
      if (a.update === null) {
        for (const cb of queryListeners) cb(parsed.doc)
        return
      }
      counters.awareness.inc({ direction: 'in' })
      for (const cb of awarenessListeners) cb(parsed.doc, a.update)
    }
  }

  const gapSub = nc.subscribe(gapSubject(opts.schema), {
    callback: (err, msg) => {
      if (err) return
      const g = decodeGap(msg.data)
      if (!g) return malformed(msg.subject)
      if (g.origin !== opts.instance) gap(`relay ${g.origin} reconnected to NATS`)
    },
  })

  // Link state: disconnects make /readyz report nats down; a reconnect is a gap, for us
  // (we missed what was published meanwhile) and for the others (what we published while
  // cut off may never have left this process), so it is broadcast too.
  void (async () => {
    for await (const s of nc.status()) {
      switch (s.type) {
        case 'disconnect':
          connected = false
          opts.logger.warn({ server: s.server }, 'NATS link lost; the log carries on, catching up when it is back')
          break
        case 'reconnect':
          connected = true
          opts.logger.info({ server: s.server }, 'NATS link back')
          // The flush's PONG comes after the server processed our re-sent subscriptions:
          // a catch-up from here cannot miss a message published in between.
          nc.flush().then(
            () => {
              nc.publish(gapSubject(opts.schema), encodeGap(opts.instance))
              gap('reconnected to NATS')
            },
            () => gap('reconnected to NATS'),
          )
          break
        case 'slowConsumer':
          gap('slow consumer: the NATS client dropped messages')
          break
        default:
          break
      }
    }
  })().catch((err: unknown) => opts.logger.warn({ err }, 'NATS status loop ended'))

  return {
    get watched() {
      return subs.size
    },
    watch(docs) {
      for (const doc of docs) {
        if (subs.has(doc) || closed) continue
        subs.set(doc, nc.subscribe(docWildcard(opts.schema, doc), { callback: (err, msg) => (err ? undefined : onDocMessage(msg.subject, msg.data)) }))
      }
    },
    unwatch(docs) {
      for (const doc of docs) {
        const s = subs.get(doc)
        if (!s) continue
        subs.delete(doc)
        s.unsubscribe()
      }
    },
    onChange(cb) {
      changeListeners.add(cb)
      return () => void changeListeners.delete(cb)
    },
    onGap(cb) {
      gapListeners.add(cb)
      return () => void gapListeners.delete(cb)
    },
    announce(changes) {
      if (closed) return
      // One message per document and origin: a round's rows of a document arrive together.
      const groups = new Map<string, { doc: string; origin: string; rows: ChangeRow[] }>()
      for (const c of changes) {
        const key = `${c.origin}\u0000${c.doc}`
        let g = groups.get(key)
        if (!g) groups.set(key, (g = { doc: c.doc, origin: c.origin, rows: [] }))
        g.rows.push(c.bytes !== undefined && c.bytes.byteLength <= maxAnnounceBytes ? { seq: c.seq, bytes: c.bytes } : { seq: c.seq })
      }
      for (const g of groups.values()) {
        g.rows.sort((a, b) => a.seq - b.seq)
        // The bytes a message carries stay under the bound too (NATS refuses payloads over 1 MiB).
        let budget = maxAnnounceBytes
        for (const [i, r] of g.rows.entries()) {
          if (!r.bytes) continue
          if (r.bytes.byteLength > budget) g.rows[i] = { seq: r.seq }
          else budget -= r.bytes.byteLength
        }
        try {
          nc.publish(subjectOf(opts.schema, SubjectKind.doc, g.doc), encodeChanges({ origin: g.origin, rows: g.rows }))
          for (const r of g.rows) counters.announced.inc({ bytes: r.bytes ? 'yes' : 'no' })
        } catch (err) {
          // Closed or draining: the rows are durable; readers find them through NOTIFY or a gap.
          opts.logger.warn({ err, doc: g.doc }, 'announcing on NATS failed')
        }
      }
    },
    publishAwareness(doc, update) {
      if (closed) return
      try {
        nc.publish(subjectOf(opts.schema, SubjectKind.awareness, doc), encodeAwarenessMessage(opts.instance, update))
        counters.awareness.inc({ direction: 'out' })
      } catch (err) {
        opts.logger.debug({ err, doc }, 'publishing awareness on NATS failed')
      }
    },
    onAwareness(cb) {
      awarenessListeners.add(cb)
      return () => void awarenessListeners.delete(cb)
    },
    queryAwareness(doc) {
      if (closed || !subs.has(doc)) return
      try {
        nc.publish(subjectOf(opts.schema, SubjectKind.awareness, doc), encodeAwarenessMessage(opts.instance, null))
      } catch (err) {
        opts.logger.debug({ err, doc }, 'asking for awareness on NATS failed')
      }
    },
    onAwarenessQuery(cb) {
      queryListeners.add(cb)
      return () => void queryListeners.delete(cb)
    },
    readiness: {
      name: 'nats',
      async check() {
        if (closed || nc.isClosed()) throw new Error('NATS connection closed')
        if (!connected) throw new Error('disconnected from NATS; reconnecting')
        await nc.flush()
      },
    },
    registerMetrics(registry) {
      for (const c of Object.values(counters) as Counter<string>[]) registry.registerMetric(c)
    },
    async close() {
      if (closed) return
      closed = true
      gapSub.unsubscribe()
      subs.clear()
      await nc.drain().catch(() => nc.close())
    },
  }
}
