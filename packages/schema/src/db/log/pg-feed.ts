/**
 * The change feed over Postgres LISTEN/NOTIFY. Every append notifies the log channel at
 * commit (rows.ts): {"o": origin, "m": highest seq, "d": {doc: [lowest, highest] seq of
 * the commit's rows of doc}}, or {"o", "m", "many": true} when the document list would pass
 * Postgres' 8000-byte payload limit. A listener hears changes of the documents it
 * watches and reads only those; "many" and a reconnect of the listening connection
 * (notifications sent while it was down are lost) are gaps: the caller reads its held
 * documents from the log.
 *
 * The driver re-listens after a dropped connection, but only once: if the database is
 * still unreachable then, the subscription is gone for good. So the feed sends itself a
 * probe on the channel every `probeMs`; a probe not heard back by the next one means it
 * is deaf: it subscribes again and, once that works, raises a gap.
 */
import { randomUUID } from 'node:crypto'
import type { ChangeFeed, LogChange } from '../log-changes.ts'
import type { Database } from '../open.ts'
import { logChannel } from './rows.ts'

export interface PgChangeFeedOptions {
  /** This process's update_log.origin: its own "many" markers are not gaps. */
  origin?: string
  /** A payload that does not parse (an older writer): called before the gap is raised. */
  onBadPayload?: (payload: string) => void
  /** Postgres only: how often the feed checks it still hears the channel (default 10 s). */
  probeMs?: number
}

export const DEFAULT_PROBE_MS = 10_000

export interface PgChangeFeed extends ChangeFeed {
  /** Resolves once the channel is listened to. */
  readonly ready: Promise<void>
}

export interface LogNotice {
  origin: string
  maxSeq: number
  /** Document -> [lowest, highest] seq written in the commit; null for a "many" marker. */
  docs: Record<string, [number, number]> | null
}

/** Parse a log channel payload; null when it is not one. */
export function parseLogNotice(payload: string): LogNotice | null {
  try {
    const p = JSON.parse(payload) as { o?: unknown; m?: unknown; d?: unknown; many?: unknown }
    if (typeof p !== 'object' || p === null || typeof p.o !== 'string' || typeof p.m !== 'number') return null
    if (p.many === true) return { origin: p.o, maxSeq: p.m, docs: null }
    if (typeof p.d !== 'object' || p.d === null) return null
    const docs: Record<string, [number, number]> = {}
    for (const [doc, r] of Object.entries(p.d as Record<string, unknown>)) {
      if (!Array.isArray(r) || typeof r[0] !== 'number' || typeof r[1] !== 'number') return null
      docs[doc] = [r[0], r[1]]
    }
    return { origin: p.o, maxSeq: p.m, docs }
  } catch {
    return null
  }
}

export function createPgChangeFeed(database: Database, opts: PgChangeFeedOptions = {}): PgChangeFeed {
  const watched = new Set<string>()
  const changeCbs = new Set<(changes: readonly LogChange[]) => void>()
  const gapCbs = new Set<() => void>()
  let listens = 0
  let closed = false

  const gap = () => {
    if (closed) return
    for (const cb of gapCbs) cb()
  }

  function onPayload(payload: string): void {
    if (closed) return
    const notice = parseLogNotice(payload)
    if (notice === null && payload.startsWith('{"probe":')) {
      if (payload === probePayload) probeHeard = true
      return
    }
    if (notice === null) {
      opts.onBadPayload?.(payload)
      return gap()
    }
    if (notice.docs === null) {
      if (notice.origin !== opts.origin) gap()
      return
    }
    const changes: LogChange[] = []
    for (const [doc, [lo, hi]] of Object.entries(notice.docs)) if (watched.has(doc)) changes.push({ doc, seq: lo, upto: hi, origin: notice.origin })
    if (changes.length === 0) return
    for (const cb of changeCbs) cb(changes)
  }

  const channel = logChannel(database.schema)
  const onListen = () => {
    // The first listen is the start; every later one follows a dropped connection.
    if (listens++ > 0) gap()
  }
  let unlisten = database.listen(channel, onPayload, onListen)
  const ready = unlisten.then(() => {})

  const probePayload = JSON.stringify({ probe: randomUUID() })
  let probeHeard = true
  let probing = false
  const probe = async () => {
    if (closed || probing) return
    probing = true
    try {
      if (!probeHeard) {
        // Deaf since the last probe: subscribe again (the old subscription is gone).
        const old = unlisten
        await old.then((u) => u()).catch(() => {})
        const next = database.listen(channel, onPayload, onListen)
        await next
        unlisten = next
      }
      probeHeard = false
      await database.notify(channel, probePayload)
    } catch {
      // The database is unreachable: the next probe tries again.
      probeHeard = false
    } finally {
      probing = false
    }
  }
  const probeTimer = database.kind === 'postgres' ? setInterval(() => void probe(), opts.probeMs ?? DEFAULT_PROBE_MS) : null
  probeTimer?.unref()

  return {
    ready,
    watch(docs) {
      for (const d of docs) watched.add(d)
    },
    unwatch(docs) {
      for (const d of docs) watched.delete(d)
    },
    onChange(cb) {
      changeCbs.add(cb)
      return () => changeCbs.delete(cb)
    },
    onGap(cb) {
      gapCbs.add(cb)
      return () => gapCbs.delete(cb)
    },
    // The append's own NOTIFY announced it.
    announce() {},
    async close() {
      closed = true
      if (probeTimer) clearInterval(probeTimer)
      const u = await unlisten.catch(() => null)
      if (u) await u().catch(() => {})
    },
  }
}
