/**
 * One WebSocket to the relay's `/mux`, kept up with jittered exponential backoff. Knows
 * nothing about documents: it reports open, frames and status, and stops for good on an
 * auth close (an expired token must not turn into a reconnect storm, and must not cost
 * the terminal its pending edits: the client keeps them until setToken()).
 *
 * Liveness: browsers cannot send WebSocket pings, so every heartbeat interval in which
 * the relay said nothing the client sends a one-byte `ping` frame, which the relay
 * answers at once; a socket that brings nothing for two intervals (or a connect that
 * does not open in that time) is dropped and replaced (see heartbeat.ts).
 */
import { AUTH_CLOSE_CODES, CloseCode, Mux, decodeMux, encodeMux, type MuxFrame } from '@tally/schema'
import { backoffDelay, type BackoffOptions } from './backoff.ts'
import { Beat, HeartbeatClock } from './heartbeat.ts'
import { Status, type SocketLike, type WebSocketConstructor } from './types.ts'

const OPEN = 1
const PING = encodeMux({ type: Mux.ping })

export interface ConnectionHandlers {
  /** The socket is open: (re)subscribe and resend. */
  onOpen(): void
  onFrame(frame: MuxFrame): void
  /** The socket is gone (any reason); per-connection state must be reset. */
  onClose(): void
  onStatus(status: Status): void
}

export interface ConnectionOptions {
  url: string
  token: string
  WebSocket: WebSocketConstructor
  backoff: BackoffOptions
  /**
   * While awaitingAnswer() holds, a socket silent for this long is presumed dead (a
   * half-open TCP connection looks open forever) and replaced.
   */
  answerTimeoutMs: number
  awaitingAnswer: () => boolean
  /** Heartbeat interval; 0 turns the heartbeat off. */
  heartbeatMs: number
}

/**
 * The store a token is for, read from its payload without verifying it (the relay does
 * that): only to tell a load balancer where to route, `/mux?store=S`. A token that does
 * not parse gets no hint; the relay then refuses the token itself.
 */
export function storeOfToken(token: string): string | null {
  const part = token.split('.')[1]
  if (!part) return null
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='))
    const store = (JSON.parse(json) as { store?: unknown }).store
    return typeof store === 'string' && store !== '' ? store : null
  } catch {
    return null
  }
}

/** `{base}/mux?token=…&store=…`: the store lets a load balancer keep a store's terminals on one relay. */
export function muxUrl(base: string, token: string): string {
  const store = storeOfToken(token)
  return `${base.replace(/\/+$/, '')}/mux?token=${encodeURIComponent(token)}${store ? `&store=${encodeURIComponent(store)}` : ''}`
}

export class Connection {
  status: Status = Status.offline
  /** Consecutive connects that closed before succeeded() was called. */
  failures = 0
  private socket: SocketLike | undefined
  private succeededThisSocket = false
  private timer: ReturnType<typeof setTimeout> | undefined
  private watchdog: ReturnType<typeof setTimeout> | undefined
  private heartbeat: ReturnType<typeof setInterval> | undefined
  private clock: HeartbeatClock | undefined
  private stopped = false
  private token: string
  private readonly onOnline = () => this.reconnectNow()

  constructor(
    private readonly opts: ConnectionOptions,
    private readonly handlers: ConnectionHandlers,
  ) {
    this.token = opts.token
    // Browsers say when the network is back; no need to wait out the backoff.
    globalThis.addEventListener?.('online', this.onOnline)
  }

  get isOpen(): boolean {
    return this.socket !== undefined && this.socket.readyState === OPEN && this.status === Status.online
  }

  start(): void {
    if (this.stopped || this.socket || this.status === Status.authRequired) return
    this.clearTimer()
    this.setStatus(Status.connecting)
    const url = muxUrl(this.opts.url, this.token)
    let socket: SocketLike
    try {
      socket = new this.opts.WebSocket(url)
    } catch {
      this.failures++
      this.scheduleReconnect()
      return
    }
    socket.binaryType = 'arraybuffer'
    this.socket = socket
    this.succeededThisSocket = false
    this.startHeartbeat()
    socket.onopen = () => {
      if (this.socket !== socket) return
      this.clock?.heard()
      this.setStatus(Status.online)
      this.handlers.onOpen()
    }
    socket.onmessage = (ev: { data: unknown }) => {
      if (this.socket !== socket) return
      const bytes = toBytes(ev.data)
      if (!bytes) return
      this.clock?.heard()
      this.armWatchdog()
      const decoded = decodeMux(bytes)
      // A frame we cannot read is the relay's bug or a newer protocol; skipping it is
      // safe because anything unacknowledged is resent on the next connection.
      if (decoded.ok) this.handlers.onFrame(decoded.value)
    }
    socket.onerror = () => {}
    socket.onclose = (ev: { code: number; reason: string }) => {
      if (this.socket !== socket) return
      this.socket = undefined
      this.disarmWatchdog()
      this.stopHeartbeat()
      if (!this.succeededThisSocket) this.failures++
      this.handlers.onClose()
      if (AUTH_CLOSE_CODES.has(ev.code)) {
        this.setStatus(Status.authRequired)
        return
      }
      this.scheduleReconnect()
    }
  }

  /** The relay answered this connection: the connect counts as a success. */
  succeeded(): void {
    this.succeededThisSocket = true
    this.failures = 0
  }

  send(frame: MuxFrame): boolean {
    return this.sendRaw(encodeMux(frame))
  }

  /** Send an already encoded frame (a batch built by the caller). */
  sendRaw(bytes: Uint8Array): boolean {
    if (!this.isOpen || !this.socket) return false
    this.socket.send(bytes)
    // Something now waits for an answer: start the clock unless it already runs.
    if (this.watchdog === undefined) this.armWatchdog()
    return true
  }

  /** Skip the backoff wait (sync-now button, network back). */
  reconnectNow(): void {
    if (this.stopped || this.socket || this.status === Status.authRequired) return
    this.start()
  }

  /** New credentials: drop the current socket (if any) and connect with them. */
  setToken(token: string): void {
    this.token = token
    if (this.stopped) return
    this.failures = 0
    this.dropSocket(CloseCode.normal, 'new token')
    this.status = Status.offline
    this.start()
  }

  stop(): void {
    this.stopped = true
    this.clearTimer()
    globalThis.removeEventListener?.('online', this.onOnline)
    this.dropSocket(CloseCode.normal, 'client destroyed')
    this.setStatus(Status.offline)
  }

  /** Any frame is progress; silence while an answer is awaited means a dead socket. */
  private armWatchdog(): void {
    this.disarmWatchdog()
    if (!this.socket || !this.opts.awaitingAnswer()) return
    this.watchdog = setTimeout(() => {
      this.watchdog = undefined
      if (!this.socket || !this.opts.awaitingAnswer()) return
      this.failures++
      this.dropSocket(CloseCode.goingAway, 'no answer from the relay')
      this.scheduleReconnect()
    }, this.opts.answerTimeoutMs)
  }

  private disarmWatchdog(): void {
    if (this.watchdog !== undefined) clearTimeout(this.watchdog)
    this.watchdog = undefined
  }

  /**
   * One clock per socket, started before it opens: a connect whose packets vanish
   * (blackholed SYN) hangs in CONNECTING for minutes otherwise.
   */
  private startHeartbeat(): void {
    this.stopHeartbeat()
    const interval = this.opts.heartbeatMs
    if (!(interval > 0)) return
    const clock = new HeartbeatClock(interval, Date.now(), false)
    this.clock = clock
    this.heartbeat = setInterval(() => {
      const socket = this.socket
      if (!socket || this.clock !== clock) return
      const beat = clock.tick(Date.now())
      if (beat === Beat.dead) {
        if (!this.succeededThisSocket) this.failures++
        this.dropSocket(CloseCode.goingAway, 'no heartbeat from the relay')
        this.scheduleReconnect()
        return
      }
      if (beat === Beat.ping && this.isOpen) socket.send(PING)
    }, interval)
  }

  private stopHeartbeat(): void {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat)
    this.heartbeat = undefined
    this.clock = undefined
  }

  private dropSocket(code: number, reason: string): void {
    this.disarmWatchdog()
    this.stopHeartbeat()
    const socket = this.socket
    if (!socket) return
    this.socket = undefined
    socket.onopen = socket.onmessage = socket.onclose = null
    try {
      socket.close(code, reason)
    } catch {
      // Closing a socket that never opened may throw in some implementations.
    }
    this.handlers.onClose()
  }

  private scheduleReconnect(): void {
    this.setStatus(Status.offline)
    if (this.stopped) return
    this.clearTimer()
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.start()
    }, backoffDelay(this.failures, this.opts.backoff))
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }

  private setStatus(status: Status): void {
    if (this.status === status) return
    this.status = status
    this.handlers.onStatus(status)
  }
}

function toBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  // `ws` may hand over a list of fragments.
  if (Array.isArray(data) && data.every((d) => ArrayBuffer.isView(d))) {
    const parts = data as ArrayBufferView[]
    const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
    let off = 0
    for (const p of parts) {
      out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), off)
      off += p.byteLength
    }
    return out
  }
  return undefined
}
