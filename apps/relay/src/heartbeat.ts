/**
 * Protocol-level heartbeat for every WebSocket the relay serves: a ws `ping` every
 * interval (browsers and stock y-websocket clients answer it without any code of
 * theirs), and a socket that has answered nothing (no pong, no frame) for two
 * intervals is terminated, not closed: a close handshake would wait on a peer that is
 * gone. Termination fires the socket's `close`, so its documents, awareness and
 * presence go with it, at most three intervals after the last thing heard.
 *
 * A tick that comes late (this process stalled: GC, a busy loop) does not count as the
 * peer's silence: its answer may be waiting unread.
 */
import type { WebSocket } from 'ws'

const LATE_FACTOR = 1.5

export interface HeartbeatHooks {
  /** Anything arrived from the peer (a frame or a pong). */
  onHeard?(): void
  /** About to terminate the socket for silence. */
  onDead?(): void
}

export function keepAlive(ws: WebSocket, intervalMs: number, hooks: HeartbeatHooks = {}): void {
  if (!(intervalMs > 0)) return
  let heard = true
  let silentTicks = 0
  let lastTick = Date.now()
  const onHeard = () => {
    heard = true
    hooks.onHeard?.()
  }
  ws.on('pong', onHeard)
  ws.on('message', onHeard)
  const timer = setInterval(() => {
    if (ws.readyState !== ws.OPEN) return
    const now = Date.now()
    const late = now - lastTick > intervalMs * LATE_FACTOR
    lastTick = now
    if (heard) silentTicks = 0
    else if (!late) silentTicks++
    heard = false
    if (silentTicks >= 2) {
      clearInterval(timer)
      hooks.onDead?.()
      ws.terminate()
      return
    }
    ws.ping()
  }, intervalMs)
  timer.unref()
  ws.once('close', () => clearInterval(timer))
}
