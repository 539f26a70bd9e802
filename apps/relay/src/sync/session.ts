/**
 * What both protocols share for one connection: authentication, the rate limit, token
 * expiry, refusals (typed error, audit row, metric) and submitting updates.
 */
import { ErrorCode, closeCodeFor, parseDocName, storeNamedIn, type DocName } from '@tally/schema'
import { actorOf, isExpired, verifyToken, type Claims } from '../auth.ts'
import type { RateLimiter } from '../rate-limit.ts'
import type { RelayMetrics } from '../metrics.ts'
import type { AuditSink } from './audit-sink.ts'
import type { AwarenessLimits } from './awareness-guard.ts'
import type { DocRegistry } from './doc-registry.ts'
import type { LoadedDoc, Subscriber } from './loaded-doc.ts'
import type { TerminalBoard } from './terminal-board.ts'
import type { HqBoard } from '../upstream/hq-board.ts'
import type { HubBoard } from '../upstream/hub-board.ts'
import { checkScope, checkUpdate } from './write-check.ts'
import type { Logger } from 'pino'

export interface Socket {
  send(data: Uint8Array): void
  close(code: number, reason: string): void
}

export interface SessionDeps {
  registry: DocRegistry
  audit: AuditSink
  metrics: RelayMetrics
  limiter: RateLimiter
  logger: Logger
  jwtSecret: string
  maxMessageBytes: number
  /** Live terminals; writes their connected/disconnected presence. */
  terminals: TerminalBoard
  /** Documents one connection may follow at once. */
  maxDocsPerSocket: number
  awareness: AwarenessLimits
  /** Store hubs linked to this relay and their forwarding lag (the dashboard reads it). */
  hubs?: HubBoard
  /** Set when this relay is a store hub: how far central holds its log ("safe at HQ"). */
  hq?: HqBoard
  /** Answers a terminal's `hq` question: which of these outbox ids central holds. */
  heldAtHq?: (doc: string, updateIds: readonly string[]) => Promise<string[]>
}

export type Refusal = { code: ErrorCode; reason: string; doc?: string; updateId?: string }

/** `vacuous`: the update encoded nothing (an empty client's step 2); no ack is owed. */
export type SubmitOutcome = { ok: true; seq: number; vacuous: boolean }

export class Session {
  claims: Claims | null = null
  closed = false

  constructor(
    readonly deps: SessionDeps,
    readonly socket: Socket,
    readonly remote: string,
    /** The document the connection's URL names (`/sync/{doc}`): whose admin sees its refusals before a token is read. */
    readonly docHint: string | null = null,
  ) {}

  get actor(): string {
    return this.claims ? actorOf(this.claims) : 'anonymous'
  }

  async authenticate(token: string | null): Promise<boolean> {
    const r = await verifyToken(this.deps.jwtSecret, token)
    if (!r.ok) {
      this.fatal({ code: r.code, reason: r.reason, ...(this.docHint !== null ? { doc: this.docHint } : {}) })
      return false
    }
    this.claims = r.claims
    this.deps.metrics.connections.inc()
    this.deps.audit.add({ store: r.claims.store, actor: this.actor, kind: 'connect', detail: { remote: this.remote } })
    if (r.claims.role === 'terminal') this.deps.terminals.open(this, r.claims.store, r.claims.sub)
    if (r.claims.role === 'hub') this.deps.hubs?.open(this, r.claims.store, r.claims.sub)
    return true
  }

  /** Checks run before every message: open, token still valid, under the rate limit. */
  admit(byteLength: number): boolean {
    if (this.closed || !this.claims) return false
    if (isExpired(this.claims)) {
      this.fatal({ code: ErrorCode.tokenExpired, reason: 'token expired: pair the terminal again' })
      return false
    }
    if (byteLength > this.deps.maxMessageBytes) {
      this.fatal({ code: ErrorCode.tooLarge, reason: `message of ${byteLength} bytes exceeds ${this.deps.maxMessageBytes}` })
      return false
    }
    const rate = this.deps.limiter.take(rateKey(this.claims))
    if (!rate.ok) {
      // Closing (not refusing the update) makes the client back off and resend: nothing lost.
      this.fatal({ code: ErrorCode.rateLimited, reason: `rate limit exceeded; retry in ${rate.retryAfterMs} ms` })
      return false
    }
    return true
  }

  parseName(name: string): { ok: true; name: DocName } | { ok: false; refusal: Refusal } {
    const parsed = parseDocName(name)
    if (!parsed.ok) return { ok: false, refusal: { code: ErrorCode.badDocName, reason: parsed.error, doc: name } }
    const scope = checkScope(this.claims as Claims, parsed.value)
    if (!scope.ok) return { ok: false, refusal: { code: scope.code, reason: scope.reason, doc: name } }
    return { ok: true, name: parsed.value }
  }

  /**
   * Check an update and queue it for the log. The check is synchronous, so a
   * connection's updates enter the group committer in the order they arrived; the
   * returned promise resolves after commit, and the caller acks then without holding
   * up the next message (the committer is first in, first out).
   */
  submit(doc: LoadedDoc, update: Uint8Array, updateId: string | null, origin: Subscriber): { ok: false; refusal: Refusal } | { ok: true; done: Promise<SubmitOutcome> } {
    const claims = this.claims as Claims
    const check = checkUpdate(doc.ydoc, doc.parsed, claims, update, this.deps.maxMessageBytes, updateId !== null, doc.queued)
    if (!check.ok) return { ok: false, refusal: { code: check.code, reason: check.reason, doc: doc.name, updateId: updateId ?? '' } }
    const finish = (seq: number): SubmitOutcome => {
      if (claims.role === 'terminal') this.deps.audit.terminal({ store: claims.store, terminalId: claims.sub, lastSeq: seq })
      return { ok: true, seq, vacuous: check.empty && check.vacuous === true && updateId === null }
    }
    // A no-op with an id still goes to the log call: it answers the id's first sequence.
    // Nothing new, perhaps only because the same content is still committing: answer
    // once everything queued for the document is durable.
    if (check.empty && updateId === null) return { ok: true, done: doc.queuedSettled().then(() => finish(doc.lastSeq)) }
    const committed = this.deps.registry.submit(doc, update, { actor: this.actor, updateId, origin })
    // What the check placed is noted until it commits: the next update may build on it
    // (a pipelining client), and a resend of it adds nothing.
    if (check.placed) doc.noteQueued(check.placed, update, committed)
    return { ok: true, done: committed.then((r) => finish(r.seq)) }
  }

  /**
   * Record a refusal: metric and audit row. The caller tells the client. The row goes to
   * the token's store and to the store the document names, if that is another one (an
   * attempt on store B with store A's token is for both admins to see); with neither,
   * to the operator's global log (store null).
   */
  record(refusal: Refusal): void {
    this.deps.metrics.refusals.inc({ reason: refusal.code })
    const doc = refusal.doc ?? this.docHint
    const stores = refusalStores(this.claims?.store ?? null, doc)
    for (const store of stores) {
      this.deps.audit.add({
        store,
        actor: this.actor,
        kind: 'refusal',
        code: refusal.code,
        doc: doc ?? null,
        detail: {
          reason: refusal.reason,
          remote: this.remote,
          authenticated: this.claims !== null,
          ...(this.claims && this.claims.store !== store ? { tokenStore: this.claims.store } : {}),
          ...(refusal.updateId ? { updateId: refusal.updateId } : {}),
        },
      })
    }
    this.deps.logger.info({ actor: this.actor, ...refusal }, 'refused')
  }

  /** ws closed the socket itself (1009) on a message over the limit: record it with this connection's store. */
  tooLarge(limit: number, doc: string | null = null): void {
    if (this.closed) return
    this.record({ code: ErrorCode.tooLarge, reason: `message over ${limit} bytes`, ...(doc !== null ? { doc } : {}) })
    this.closed = true
  }

  /** Refuse and end the connection with the refusal's close code. */
  fatal(refusal: Refusal): void {
    if (this.closed) return
    this.record(refusal)
    this.closed = true
    this.socket.close(closeCodeFor(refusal.code), `${refusal.code}: ${refusal.reason}`.slice(0, 120))
  }

  end(): void {
    const wasOpen = this.claims !== null
    this.closed = true
    if (!wasOpen || !this.claims) return
    this.deps.metrics.connections.dec()
    this.deps.audit.add({ store: this.claims.store, actor: this.actor, kind: 'disconnect', detail: { remote: this.remote } })
    if (this.claims.role === 'terminal') this.deps.terminals.close(this)
    if (this.claims.role === 'hub') this.deps.hubs?.close(this)
    this.claims = null
  }
}

/** Rate budgets are per token subject within its store and role: store A's `terminal-1` is not store B's. */
export function rateKey(claims: Claims): string {
  return `${claims.store}\u0000${claims.role}\u0000${claims.sub}`
}

/** Which audit scopes a refusal belongs to: the token's store, the named store, or the global log (null). */
export function refusalStores(tokenStore: string | null, doc: string | null | undefined): Array<string | null> {
  const named = storeNamedIn(doc)
  const out: Array<string | null> = []
  if (tokenStore !== null) out.push(tokenStore)
  if (named !== null && named !== tokenStore) out.push(named)
  if (out.length === 0) out.push(null)
  return out
}

/**
 * Runs a connection's handlers one after another, so its messages keep their order. A
 * handler that finishes without waiting (most messages) runs at once, with no promise
 * made for it; one that returns a promise holds back the ones after it until it settles.
 */
export function serial(onError: (err: unknown) => void): (task: () => void | Promise<void>) => void {
  let tail: Promise<void> = Promise.resolve()
  /** Handlers started or queued that have not settled. */
  let waiting = 0
  const done = () => {
    waiting--
  }
  return (task) => {
    if (waiting > 0) {
      waiting++
      tail = tail.then(task).catch(onError).then(done)
      return
    }
    let out: void | Promise<void>
    try {
      out = task()
    } catch (err) {
      onError(err)
      return
    }
    if (!(out instanceof Promise)) return
    waiting++
    tail = out.catch(onError).then(done)
  }
}
