/**
 * The live dashboard feed: one WebSocket to /api/v1/live; the server pushes
 * `{ type: 'dashboard', data }` on every change, so the UI never polls. On a drop it
 * reconnects with capped exponential backoff; an auth close (4401/4402) signs out.
 */
import { useEffect, useRef, useState } from 'react'
import type { Dashboard } from './types.ts'

export type LiveState = 'connecting' | 'open' | 'closed'

export interface Live {
  state: LiveState
  data: Dashboard | null
  /** When the last push arrived (ms since epoch). */
  at: number | null
}

// 4401 bad/missing token, 4402 expired, 4403 not an admin: signing in again is the fix.
const AUTH_CLOSE = new Set([4401, 4402, 4403, 1008])

export function liveUrl(token: string, loc: Pick<Location, 'protocol' | 'host'> = location): string {
  const proto = loc.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${proto}//${loc.host}/api/v1/live?token=${encodeURIComponent(token)}`
}

export function backoffMs(attempt: number): number {
  return Math.min(15_000, 500 * 2 ** Math.min(attempt, 5))
}

export function useLiveDashboard(token: string, onAuthLost: () => void): Live {
  const [live, setLive] = useState<Live>({ state: 'connecting', data: null, at: null })
  const authLost = useRef(onAuthLost)
  authLost.current = onAuthLost
  useEffect(() => {
    let ws: WebSocket | null = null
    let timer: ReturnType<typeof setTimeout> | null = null
    let attempt = 0
    let stopped = false
    const connect = () => {
      setLive((l) => ({ ...l, state: 'connecting' }))
      ws = new WebSocket(liveUrl(token))
      ws.onopen = () => {
        attempt = 0
        setLive((l) => ({ ...l, state: 'open' }))
      }
      ws.onmessage = (ev) => {
        try {
          const msg = JSON.parse(String(ev.data)) as { type?: string; data?: Dashboard }
          if (msg.type === 'dashboard' && msg.data) setLive({ state: 'open', data: msg.data, at: Date.now() })
        } catch {
          // a frame we do not understand is ignored, not fatal
        }
      }
      ws.onclose = (ev) => {
        ws = null
        if (stopped) return
        setLive((l) => ({ ...l, state: 'closed' }))
        if (AUTH_CLOSE.has(ev.code)) {
          authLost.current()
          return
        }
        timer = setTimeout(connect, backoffMs(attempt++))
      }
    }
    connect()
    return () => {
      stopped = true
      if (timer !== null) clearTimeout(timer)
      ws?.close()
    }
  }, [token])
  return live
}
