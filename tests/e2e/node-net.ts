/**
 * A network cable for terminals in Node: a `ws` WebSocket class whose sockets a test can
 * cut (terminated like a pulled cable) and refuse while "offline". The terminal, its
 * sync client and the relay are the real ones; only reachability is switched.
 */
import WebSocket from 'ws'
import type { WebSocketConstructor } from '@tally/client'

/** Nothing listens on port 9 (discard): a connect while offline is refused at once. */
const NOWHERE = 'ws://127.0.0.1:9/mux'

export interface NodeNetwork {
  readonly WebSocket: WebSocketConstructor
  setOnline(online: boolean): void
  readonly online: boolean
}

export function nodeNetwork(): NodeNetwork {
  let online = true
  const live = new Set<WebSocket>()
  class SwitchedWebSocket extends WebSocket {
    constructor(url: string) {
      super(online ? url : NOWHERE)
      if (!online) return
      live.add(this)
      this.on('close', () => live.delete(this))
    }
  }
  return {
    WebSocket: SwitchedWebSocket as unknown as WebSocketConstructor,
    get online() {
      return online
    },
    setOnline(v: boolean) {
      online = v
      if (!v) for (const ws of [...live]) ws.terminate()
    },
  }
}
