/**
 * The one place that knows the WebSocket library: it turns `ws` sockets into the sync
 * core's transport-free `Socket`, and routes upgrades by path.
 *
 * Everything here runs on input from anyone who can reach the port, and an exception
 * thrown out of an 'upgrade' or socket listener ends the whole process. So every
 * listener is guarded: what cannot be read is refused (HTTP 400 before the upgrade, a
 * close code after it), and an unexpected error closes that one connection only.
 */
import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import { ErrorCode, closeCodeFor } from '@tally/schema'
import { keepAlive } from './heartbeat.ts'
import type { Connection } from './sync/ysync-connection.ts'
import type { Socket } from './sync/session.ts'
import { readUpgradeRequest, type UpgradeRequest } from './upgrade-request.ts'

export type AcceptedUpgrade = Extract<UpgradeRequest, { ok: true }>
export type RefusedUpgrade = Extract<UpgradeRequest, { ok: false }>

export interface UpgradeTarget {
  /** Route an upgrade to a sync endpoint; null means "not a sync path" (closed with 4404). */
  connect(request: AcceptedUpgrade, socket: Socket): Connection | null
  /** An upgrade refused before it happened (answered 400): record it. */
  onRefused(refusal: RefusedUpgrade): void
  /** A listener threw: a bug, logged; the adapter has already closed that connection. */
  onError(err: unknown, where: string): void
  /** A sync socket was terminated for answering no heartbeat. */
  onSilent?(url: URL, remote: string): void
  /** Other paths (the REST API's /api/v1/live feed): their handler, or null. */
  route?(url: URL): ((ws: WebSocket, req: IncomingMessage) => void) | null
}

/**
 * A close reason as the protocol allows it: at most 123 bytes of UTF-8 (ws throws on
 * more, and a reason may quote a hostile document name), cut on a character boundary.
 */
export function closeReason(reason: string): string {
  const bytes = Buffer.from(reason, 'utf8')
  if (bytes.byteLength <= 123) return reason
  let end = 123
  // Back up over continuation bytes (10xxxxxx) so no character is split.
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--
  return bytes.subarray(0, end).toString('utf8')
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 500: 'Internal Server Error' }

/** Answer an upgrade request with a plain HTTP status and close the socket. */
function answer(sock: Duplex, status: 400 | 404 | 500, body: string): void {
  if (sock.destroyed) return
  const text = body.replace(/[^\x20-\x7e]/g, '?')
  sock.end(`HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`)
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
  const internalClose = closeCodeFor(ErrorCode.internal)

  /** Run a listener; if it throws, report it and close that connection only. */
  const guarded = (where: string, onFail: () => void, fn: () => void): void => {
    try {
      fn()
    } catch (err) {
      try {
        onFail()
      } catch {
        // The connection is going away regardless.
      }
      target.onError(err, where)
    }
  }

  function accept(request: AcceptedUpgrade, ws: WebSocket): void {
    ws.binaryType = 'nodebuffer'
    let overflowed = false
    let connection: Connection | null = null
    const closeWs = (code: number, reason: string) => {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, closeReason(reason))
    }
    const fail = () => closeWs(internalClose, `${ErrorCode.internal}: internal error`)
    // Registered first: an 'error' event with no listener would throw out of the emitter.
    ws.on('error', (err: Error & { code?: string }) =>
      guarded('ws error', fail, () => {
        if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') connection?.handleTooLarge(maxPayload)
      }),
    )
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
      close: closeWs,
    }
    guarded('connect', fail, () => {
      const conn = target.connect(request, socket)
      connection = conn
      if (!conn) {
        ws.close(4404, `${ErrorCode.notFound}: no such endpoint`)
        return
      }
      ws.on('message', (data: Buffer, isBinary: boolean) =>
        guarded('message', fail, () => {
          const bytes = isBinary ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new TextEncoder().encode(String(data))
          conn.handleMessage(bytes)
        }),
      )
      ws.on('close', () => guarded('close', () => {}, () => conn.handleClose()))
      keepAlive(ws, heartbeatMs, {
        onHeard: () => guarded('heard', fail, () => conn.handleHeard?.()),
        onDead: () =>
          guarded('silent', () => {}, () => {
            conn.handleSilent?.()
            target.onSilent?.(request.url, request.remote)
          }),
      })
    })
  }

  server.on('upgrade', (req: IncomingMessage, sock: Duplex, head: Buffer) => {
    // Node removes its own error listener from an upgraded socket: a reset peer would
    // otherwise be an unhandled 'error' event.
    sock.on('error', () => {})
    guarded('upgrade', () => answer(sock, 500, 'internal error'), () => {
      const request = readUpgradeRequest(req)
      if (!request.ok) {
        target.onRefused(request)
        answer(sock, 400, `${request.code}: ${request.reason}`)
        return
      }
      if (request.endpoint.path === 'other') {
        const other = target.route?.(request.url) ?? null
        if (!other) return answer(sock, 404, `${ErrorCode.notFound}: no such endpoint`)
        wss.handleUpgrade(req, sock, head, (ws: WebSocket) => {
          ws.on('error', () => {})
          keepAlive(ws, heartbeatMs)
          guarded('route', () => ws.close(internalClose, `${ErrorCode.internal}: internal error`), () => other(ws, req))
        })
        return
      }
      wss.handleUpgrade(req, sock, head, (ws: WebSocket) => accept(request, ws))
    })
  })

  return {
    close(code, reason) {
      for (const ws of wss.clients) ws.close(code, reason)
      return new Promise((resolve) => wss.close(() => resolve()))
    },
  }
}
