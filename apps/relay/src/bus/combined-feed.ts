/**
 * NATS and the Postgres feed together, as one ChangeFeed for the registry.
 *
 * The Postgres feed's NOTIFY is sent by the commit itself, so it is the signal that cannot
 * be lost with its writer; NATS brings the bytes, so a relay usually needs no read. Every
 * change is heard on both, and the one that arrives first decides:
 *
 * - NATS first (with bytes): delivered at once; the NOTIFY of the same (doc, seq) is dropped.
 * - NOTIFY first, from a writer that announces on NATS (an origin heard on NATS recently):
 *   held for `graceMs`, the time NATS takes to bring the same row after its writer heard
 *   the commit's answer. When NATS brings it, only the NATS copy is delivered; when it
 *   does not (the announcement was lost, its writer was killed after commit), the NOTIFY
 *   is delivered without bytes and the registry reads the row: a missed NATS message
 *   costs one read, a few hundred milliseconds late, never data.
 * - NOTIFY from a writer that never announces (the projection's verdicts, REST uploads, a
 *   relay without NATS_URL): delivered at once, as without NATS.
 *
 * Gaps of either feed are gaps of this one; announcements go to both (the Postgres one
 * ignores them).
 */
import type { ChangeFeed, LogChange } from './change-feed.ts'

/** How long a NOTIFY from a NATS-announcing writer waits for that row's bytes on NATS. */
export const DEFAULT_NATS_GRACE_MS = 250
/** An origin not heard on NATS for this long is treated as one that does not announce. */
const ANNOUNCER_TTL_MS = 60_000
/** (doc, seq) pairs NATS delivered, remembered to drop their NOTIFY (a bounded window). */
const REMEMBERED = 20_000

export interface CombinedFeedOptions {
  graceMs?: number
  now?: () => number
}

const keyOf = (c: { doc: string; seq: number }): string => `${c.seq}\u0000${c.doc}`

export function combineFeeds(nats: ChangeFeed, postgres: ChangeFeed, opts: CombinedFeedOptions = {}): ChangeFeed & { readonly held: number; readonly ready: Promise<void> } {
  const graceMs = opts.graceMs ?? DEFAULT_NATS_GRACE_MS
  const now = opts.now ?? Date.now
  const listeners = new Set<(changes: readonly LogChange[]) => void>()
  /** Keys NATS delivered, oldest first (Map keeps insertion order). */
  const delivered = new Map<string, true>()
  /** Origins that announce on NATS, with when they were last heard there. */
  const announcers = new Map<string, number>()
  /** NOTIFY changes waiting for their bytes on NATS, with their deadline. */
  const held = new Map<string, { change: LogChange; until: number }>()
  let timer: ReturnType<typeof setTimeout> | null = null

  function emit(changes: readonly LogChange[]): void {
    if (changes.length === 0) return
    for (const cb of listeners) cb(changes)
  }

  function remember(key: string): void {
    delivered.set(key, true)
    if (delivered.size > REMEMBERED) delivered.delete(delivered.keys().next().value as string)
  }

  function arm(): void {
    if (timer || held.size === 0) return
    const first = held.values().next().value as { until: number }
    timer = setTimeout(release, Math.max(0, first.until - now()))
    timer.unref?.()
  }

  function release(): void {
    timer = null
    const t = now()
    const due: LogChange[] = []
    for (const [key, h] of held) {
      if (h.until > t) break
      held.delete(key)
      due.push(h.change)
    }
    emit(due)
    arm()
  }

  const offNats = nats.onChange((changes) => {
    const t = now()
    const out: LogChange[] = []
    for (const c of changes) {
      announcers.set(c.origin, t)
      const key = keyOf(c)
      if (delivered.has(key)) continue
      remember(key)
      const h = held.get(key)
      if (h) held.delete(key)
      // Announced without bytes (too large): the NOTIFY copy is just as good.
      out.push(c)
    }
    emit(out)
  })

  const offPostgres = postgres.onChange((changes) => {
    const t = now()
    const out: LogChange[] = []
    for (const c of changes) {
      const key = keyOf(c)
      if (delivered.has(key) || held.has(key)) continue
      const seen = announcers.get(c.origin)
      if (seen !== undefined && t - seen < ANNOUNCER_TTL_MS) {
        held.set(key, { change: c, until: t + graceMs })
      } else {
        out.push(c)
      }
    }
    emit(out)
    arm()
  })

  return {
    ready: Promise.all([nats.ready, postgres.ready]).then(() => {}),
    get held() {
      return held.size
    },
    watch(docs) {
      nats.watch(docs)
      postgres.watch(docs)
    },
    unwatch(docs) {
      nats.unwatch(docs)
      postgres.unwatch(docs)
      const gone = new Set(docs)
      for (const [key, h] of held) if (gone.has(h.change.doc)) held.delete(key)
    },
    onChange(cb) {
      listeners.add(cb)
      return () => void listeners.delete(cb)
    },
    onGap(cb) {
      const a = nats.onGap(cb)
      const b = postgres.onGap(cb)
      return () => {
        a()
        b()
      }
    },
    announce(changes) {
      nats.announce(changes)
      postgres.announce(changes)
    },
    async close() {
      offNats()
      offPostgres()
      if (timer) clearTimeout(timer)
      held.clear()
      await Promise.all([nats.close(), postgres.close()])
    },
  }
}
