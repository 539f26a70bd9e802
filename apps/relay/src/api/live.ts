/**
 * The live dashboard: `/api/v1/live?token=ADMIN_JWT`, a WebSocket on which the server
 * pushes `{ type: 'dashboard', data }` (text frames) whenever the store's dashboard
 * changes. Nothing polls from the browser. Changes are noticed from the log's NOTIFY
 * (appends, presence), the projection's NOTIFY (batches, conflicts), API mutations,
 * the relay's terminal board (a terminal connecting, leaving, timed out by the
 * heartbeat or reporting new pending figures), and a one-second server-side check for
 * presence rows other relays write. A push is sent only when the JSON differs.
 */
import type { WebSocket } from 'ws'
import { projectionChannel } from '@tally/projections'
import { CloseCode, Role } from '@tally/schema'
import { logChannel } from '@tally/schema/db'
import { isExpired, verifyToken, type Claims } from '../auth.ts'
import type { ApiContext } from './context.ts'
import { dashboardFor } from './dashboard-data.ts'

export const LIVE_PATH = '/api/v1/live'
/** At most one recompute per store this often, however busy the log is. */
export const LIVE_MIN_INTERVAL_MS = 200
export const LIVE_CHECK_MS = 1000

interface Sub {
  ws: WebSocket
  claims: Claims
  last: string | null
}

export interface LiveFeed {
  accept(ws: WebSocket, url: URL): void
  /** Subscribers right now (tests, metrics). */
  readonly size: number
}

export function createLiveFeed(ctx: ApiContext): LiveFeed {
  const byStore = new Map<string, Set<Sub>>()
  const dirty = new Set<string>()
  let timer: ReturnType<typeof setTimeout> | null = null
  let check: ReturnType<typeof setInterval> | null = null
  let unlisten: Array<Promise<(() => Promise<void>) | null>> = []
  let lastRun = 0
  let running: Promise<void> | null = null

  const total = () => [...byStore.values()].reduce((n, s) => n + s.size, 0)

  function markAll(): void {
    for (const store of byStore.keys()) dirty.add(store)
    schedule()
  }
  const onChanged = (store: string) => {
    if (!byStore.has(store)) return
    dirty.add(store)
    schedule()
  }

  function schedule(): void {
    if (timer !== null || running !== null) return
    const wait = Math.max(0, lastRun + LIVE_MIN_INTERVAL_MS - Date.now())
    timer = setTimeout(() => {
      timer = null
      running = flush().finally(() => {
        running = null
        if (dirty.size > 0) schedule()
      })
    }, wait)
    timer.unref()
  }

  async function flush(): Promise<void> {
    lastRun = Date.now()
    const stores = [...dirty]
    dirty.clear()
    for (const store of stores) {
      const subs = byStore.get(store)
      if (!subs || subs.size === 0) continue
      try {
        const json = JSON.stringify({ type: 'dashboard', data: await dashboardFor(ctx, store) })
        for (const s of subs) push(s, json)
      } catch (err) {
        ctx.core.logger.warn({ err, store }, 'live dashboard failed')
      }
    }
  }

  function push(s: Sub, json: string): void {
    if (isExpired(s.claims)) {
      s.ws.close(CloseCode.tokenExpired, 'token_expired: sign in again')
      return
    }
    if (s.last === json || s.ws.readyState !== s.ws.OPEN) return
    s.last = json
    s.ws.send(json)
  }

  let offBoard: (() => void) | null = null
  function start(): void {
    ctx.events.on('changed', onChanged)
    // A terminal coming, going (a heartbeat timeout included) or reporting new figures.
    offBoard = ctx.core.terminals.onChange(onChanged)
    const listen = (channel: string) =>
      ctx.database.listen(channel, () => markAll()).catch((err: unknown) => {
        ctx.core.logger.warn({ err, channel }, 'live feed cannot listen; the periodic check still runs')
        return null
      })
    unlisten = [listen(logChannel(ctx.database.schema)), listen(projectionChannel(ctx.database.schema))]
    check = setInterval(markAll, LIVE_CHECK_MS)
    check.unref()
  }

  function stop(): void {
    ctx.events.off('changed', onChanged)
    offBoard?.()
    offBoard = null
    if (check !== null) clearInterval(check)
    check = null
    const pending = unlisten
    unlisten = []
    // The database may be closing with the relay: a failed unlisten is harmless.
    for (const u of pending) void u.then((f) => f?.()).catch(() => {})
  }

  function add(s: Sub): void {
    if (total() === 0) start()
    const set = byStore.get(s.claims.store) ?? new Set<Sub>()
    set.add(s)
    byStore.set(s.claims.store, set)
    // The first push goes out now, not at the next change.
    void dashboardFor(ctx, s.claims.store)
      .then((data) => push(s, JSON.stringify({ type: 'dashboard', data })))
      .catch((err: unknown) => ctx.core.logger.warn({ err }, 'live dashboard failed'))
  }

  function remove(s: Sub): void {
    const set = byStore.get(s.claims.store)
    if (!set?.delete(s)) return
    if (set.size === 0) byStore.delete(s.claims.store)
    if (total() === 0) stop()
  }

  return {
    get size() {
      return total()
    },
    accept(ws, url) {
      let sub: Sub | null = null
      let closed = false
      ws.on('close', () => {
        closed = true
        if (sub) remove(sub)
      })
      // The feed only speaks; anything the browser sends is ignored.
      ws.on('message', () => {})
      ws.on('error', () => {})
      void verifyToken(ctx.core.config.jwtSecret, url.searchParams.get('token')).then((r) => {
        if (closed) return
        if (!r.ok) {
          ws.close(r.code === 'token_expired' ? CloseCode.tokenExpired : CloseCode.unauthorized, `${r.code}: ${r.reason}`)
          return
        }
        if (r.claims.role !== Role.admin && r.claims.role !== Role.service) {
          ws.close(CloseCode.forbidden, 'forbidden_write: the live dashboard needs an admin token')
          return
        }
        const rate = ctx.limiter.take(`api:${r.claims.store}:${r.claims.role}:${r.claims.sub}`)
        if (!rate.ok) {
          ws.close(CloseCode.rateLimited, `rate_limited: retry in ${Math.ceil(rate.retryAfterMs / 1000)} s`)
          return
        }
        sub = { ws, claims: r.claims, last: null }
        add(sub)
      })
    },
  }
}
