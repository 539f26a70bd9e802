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
 *
 * Failover: a terminal may be given several relays (the store hub first, central
 * second), each with its own token. After `switchAfterFailures` failed connects in a
 * row it moves to the next; while away from the first it probes it every `probeMs` with
 * a bare WebSocket and moves back as soon as one opens. Nothing is lost or doubled by a
 * move: the outbox is resent with the same update ids on the new socket, and the relay
 * log keeps one row per (document, update id). An auth close on one relay of several
 * sets that one aside (until new tokens) instead of stopping the terminal.
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

/** One relay a terminal may sync with, and its token there (the hub's and central's differ). */
export interface Endpoint {
  readonly url: string
  readonly token: string
}

/** Failed connects in a row before moving to the next relay. */
export const DEFAULT_SWITCH_AFTER_FAILURES = 2
/** How often a terminal away from its first relay checks whether it answers again. */
export const DEFAULT_PROBE_MS = 15_000

export interface ConnectionOptions {
  /** The preferred relay (the store hub when there is one). */
  url: string
  token: string
  /** Further relays in order of preference (central), each with its own token. */
  fallbacks?: readonly Endpoint[]
  switchAfterFailures?: number
  probeMs?: number
  /** The relay in use changed (index into [preferred, ...fallbacks]). */
  onEndpoint?: (index: number, url: string) => void
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
  private endpoints: Endpoint[]
  /** Index of the relay in use. */
  private current = 0
  /** Consecutive failed connects at the current relay. */
  private failuresHere = 0
  /** Relays that closed with an auth code: not tried again until new tokens. */
  private readonly refusedAt = new Set<number>()
  private probeTimer: ReturnType<typeof setInterval> | undefined
  private probe: SocketLike | undefined
  private readonly onOnline = () => this.reconnectNow()

  constructor(
    private readonly opts: ConnectionOptions,
    private readonly handlers: ConnectionHandlers,
  ) {
    this.endpoints = [{ url: opts.url, token: opts.token }, ...(opts.fallbacks ?? [])]
    // Browsers say when the network is back; no need to wait out the backoff.
    globalThis.addEventListener?.('online', this.onOnline)
  }

  /** The relay in use: its index (0 = preferred) and URL. */
  get endpoint(): { index: number; url: string } {
    return { index: this.current, url: (this.endpoints[this.current] as Endpoint).url }
  }

  get isOpen(): boolean {
    return this.socket !== undefined && this.socket.readyState === OPEN && this.status === Status.online
  }

  start(): void {
    if (this.stopped || this.socket || this.status === Status.authRequired) return
    this.clearTimer()
    this.setStatus(Status.connecting)
    const here = this.endpoints[this.current] as Endpoint
    const url = muxUrl(here.url, here.token)
    let socket: SocketLike
    try {
      socket = new this.opts.WebSocket(url)
    } catch {
      this.failed()
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
      this.syncProbe()
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
      if (!this.succeededThisSocket) this.failed()
      this.handlers.onClose()
      if (AUTH_CLOSE_CODES.has(ev.code)) {
        this.refusedAt.add(this.current)
        const next = this.nextUsable()
        if (next === undefined) {
          this.stopProbe()
          this.setStatus(Status.authRequired)
          return
        }
        this.moveTo(next)
      }
      this.scheduleReconnect()
    }
  }

  /** The relay answered this connection: the connect counts as a success. */
  succeeded(): void {
    this.succeededThisSocket = true
    this.failures = 0
    this.failuresHere = 0
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

  /** New credentials for the preferred relay: drop the current socket (if any) and connect with them. */
  setToken(token: string): void {
    this.setEndpoints([{ url: (this.endpoints[0] as Endpoint).url, token }, ...this.endpoints.slice(1)])
  }

  /** New relays and tokens (re-pairing): start again from the first. */
  setEndpoints(endpoints: readonly Endpoint[]): void {
    if (endpoints.length === 0) throw new RangeError('at least one relay')
    this.endpoints = [...endpoints]
    this.refusedAt.clear()
    if (this.stopped) return
    this.failures = 0
    this.dropSocket(CloseCode.normal, 'new token')
    this.moveTo(0)
    this.status = Status.offline
    this.start()
  }

  stop(): void {
    this.stopped = true
    this.clearTimer()
    this.stopProbe()
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
      this.failed()
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
        if (!this.succeededThisSocket) this.failed()
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

  private failed(): void {
    this.failures++
    this.failuresHere++
  }

  /** The next relay after the current one that has not refused its token, if any. */
  private nextUsable(): number | undefined {
    for (let step = 1; step <= this.endpoints.length; step++) {
      const i = (this.current + step) % this.endpoints.length
      if (!this.refusedAt.has(i)) return i
    }
    return undefined
  }

  private moveTo(index: number): void {
    this.failuresHere = 0
    if (index === this.current) return
    this.current = index
    this.opts.onEndpoint?.(index, (this.endpoints[index] as Endpoint).url)
  }

  private scheduleReconnect(): void {
    this.setStatus(Status.offline)
    if (this.stopped) return
    this.clearTimer()
    let delay = backoffDelay(this.failures, this.opts.backoff)
    if (this.endpoints.length > 1 && this.failuresHere >= (this.opts.switchAfterFailures ?? DEFAULT_SWITCH_AFTER_FAILURES)) {
      const next = this.nextUsable()
      if (next !== undefined && next !== this.current) {
        this.moveTo(next)
        // Another relay is not the one that just failed: try it at the shortest wait.
        delay = backoffDelay(0, this.opts.backoff)
      }
    }
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.start()
    }, delay)
  }

  /** Probe the preferred relay while on another one (and only then). */
  private syncProbe(): void {
    if (this.current === 0 || this.refusedAt.has(0) || this.stopped) return this.stopProbe()
    if (this.probeTimer !== undefined) return
    this.probeTimer = setInterval(() => this.probeOnce(), this.opts.probeMs ?? DEFAULT_PROBE_MS)
  }

  private probeOnce(): void {
    if (this.current === 0 || this.stopped) return this.stopProbe()
    // A probe still connecting after a whole interval is blackholed: replace it.
    this.closeProbe()
    const first = this.endpoints[0] as Endpoint
    let probe: SocketLike
    try {
      probe = new this.opts.WebSocket(muxUrl(first.url, first.token))
    } catch {
      return
    }
    this.probe = probe
    probe.onmessage = probe.onerror = () => {}
    probe.onclose = () => {
      if (this.probe === probe) this.probe = undefined
    }
    probe.onopen = () => {
      if (this.probe !== probe) return
      this.closeProbe()
      this.stopProbe()
      if (this.stopped || this.current === 0) return
      // Back to the preferred relay: the outbox is resent there with the same ids.
      this.dropSocket(CloseCode.normal, 'back to the preferred relay')
      this.moveTo(0)
      this.clearTimer()
      this.setStatus(Status.offline)
      this.start()
    }
  }

  private closeProbe(): void {
    const probe = this.probe
    if (!probe) return
    this.probe = undefined
    probe.onopen = probe.onmessage = probe.onclose = null
    try {
      probe.close(CloseCode.normal, 'probe')
    } catch {
      // a socket that never opened
    }
  }

  private stopProbe(): void {
    if (this.probeTimer !== undefined) clearInterval(this.probeTimer)
    this.probeTimer = undefined
    this.closeProbe()
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
