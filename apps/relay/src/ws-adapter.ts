/**
 * The one place that knows the WebSocket library: it turns `ws` sockets into the sync
 * core's transport-free `Socket`, and routes upgrades by path.
 */
import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import { ErrorCode } from '@tally/schema'
import { keepAlive } from './heartbeat.ts'
import type { Connection } from './sync/ysync-connection.ts'
import type { Socket } from './sync/session.ts'

export interface UpgradeTarget {
  /** Route an upgrade; null means "not a sync path" (answer 404). */
  connect(url: URL, req: IncomingMessage, socket: Socket): Connection | null
  /** A message over the size limit: ws closes the socket itself (1009); we record it. */
  onTooLarge(url: URL, req: IncomingMessage): void
  /** A sync socket was terminated for answering no heartbeat. */
  onSilent?(url: URL, req: IncomingMessage): void
  /** Other paths (the REST API's /api/v1/live feed): their handler, or null. */
  route?(url: URL): ((ws: WebSocket, req: IncomingMessage) => void) | null
}

export function attachWebSockets(
  server: Server,
  target: UpgradeTarget,
  maxPayload: number,
  /** Unread bytes after which a connection is closed as a slow consumer. */
  maxBuffered = Number.POSITIVE_INFINITY,
  /** ws ping interval; a socket silent for two of them is terminated. 0: off. */
  heartbeatMs = 0,
): { close(code: number, reason: string): Promise<void> } {
  const wss = new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: false })

  server.on('upgrade', (req: IncomingMessage, sock: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://relay.invalid')
    const other = target.route?.(url) ?? null
    if (other) {
      wss.handleUpgrade(req, sock, head, (ws: WebSocket) => {
        keepAlive(ws, heartbeatMs)
        other(ws, req)
      })
      return
    }
    if (!url.pathname.startsWith('/sync/') && url.pathname !== '/mux') {
      sock.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n')
      return
    }
    wss.handleUpgrade(req, sock, head, (ws: WebSocket) => {
      ws.binaryType = 'nodebuffer'
      let overflowed = false
      let connection: Connection | null = null
      const socket: Socket = {
        send(data) {
          if (ws.readyState !== ws.OPEN) return
          // A peer that stops reading (a frozen tab, a full TCP window) would otherwise
          // make the relay buffer everything it relays to it, without bound.
          if (ws.bufferedAmount > maxBuffered) {
            if (!overflowed) {
              overflowed = true
              connection?.handleOverflow(ws.bufferedAmount)
            }
            return
          }
          ws.send(data)
        },
        close(code, reason) {
          if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason)
        },
      }
      const conn = target.connect(url, req, socket)
      connection = conn
      if (!conn) {
        ws.close(4404, `${ErrorCode.notFound}: no such endpoint`)
        return
      }
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        const bytes = isBinary ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new TextEncoder().encode(String(data))
        conn.handleMessage(bytes)
      })
      ws.on('error', (err: Error & { code?: string }) => {
        if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') target.onTooLarge(url, req)
      })
      ws.on('close', () => conn.handleClose())
      keepAlive(ws, heartbeatMs, {
        onHeard: () => conn.handleHeard?.(),
        onDead: () => {
          conn.handleSilent?.()
          target.onSilent?.(url, req)
        },
      })
    })
  })

  return {
    close(code, reason) {
      for (const ws of wss.clients) ws.close(code, reason)
      return new Promise((resolve) => wss.close(() => resolve()))
    },
  }
}
