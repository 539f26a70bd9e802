/**
 * A store hub's link to central: one `/mux` socket with the hub token. Up: the
 * forwarder's windows (forwarder.ts), acknowledged by central's log. Down: the store's
 * shared documents (catalog, roster) and the documents the hub forwarded (verdicts
 * central's projector writes), appended to the hub's own log under the `upstream`
 * actor and origin, so the hub's registry catches them up and relays them to its
 * terminals like any other process's rows. Reconnects with backoff; every window is
 * resent from the durable cursor, so a flapping link loses and doubles nothing.
 */
import * as Y from 'yjs'
import WebSocket from 'ws'
import * as decoding from 'lib0/decoding'
import * as syncProtocol from 'y-protocols/sync'
import type { Logger } from 'pino'
import { ErrorCode, Mux, catalogDocName, decodeMux, encodeBatch, encodeMux, parseDocName, rosterDocName, type MuxFrame } from '@tally/schema'
import { createLogWatermark, createUpdateLog, type Database, type UpdateLog } from '@tally/schema/db'
import type { UpstreamConfig } from '../config.ts'
import type { AuditSink } from '../sync/audit-sink.ts'
import type { DocRegistry } from '../sync/doc-registry.ts'
import { backlog, MESSAGE_BYTES, readCursor, readWindow, UPSTREAM_ACTOR, writeCursor, type Window, type WindowRow } from './forwarder.ts'
import { createHqBoard, type HqBoard } from './hq-board.ts'
import { mirrorCatalog, mirrorRoster } from './master-data.ts'

/** Codes that mean "not now" for a forwarded row: the window is sent again later. */
const TRANSIENT: ReadonlySet<string> = new Set([
  ErrorCode.missingDependency,
  ErrorCode.tooManyDocuments,
  ErrorCode.rateLimited,
  ErrorCode.unavailable,
  ErrorCode.internal,
])
/** Forwarded documents the link keeps following for central's verdicts. */
export const FOLLOW_FORWARDED = 1_000
const BACKOFF_MIN_MS = 250
const BACKOFF_MAX_MS = 2_000
/** Without a commit notice, look at the log this often anyway. */
const POLL_MS = 1_000

export type LinkState = 'connecting' | 'linked' | 'down'

export interface UpstreamStats {
  state: LinkState
  forwardedSeq: number
  forwardedRows: number
  forwardedBytes: number
  refusedRows: number
  downRows: number
  /** When the link last delivered a window or a down-flow row (ms since epoch). */
  lastContact: number | null
}

export interface UpstreamLink {
  readonly board: HqBoard
  readonly ready: Promise<void>
  stats(): UpstreamStats
  close(): Promise<void>
}

export interface UpstreamDeps {
  database: Database
  /** The hub relay's own log (its reads include every origin's rows). */
  log: UpdateLog
  registry: DocRegistry
  audit: AuditSink
  logger: Logger
  config: UpstreamConfig
  heartbeatMs: number
}

export function createUpstreamLink(deps: UpstreamDeps): UpstreamLink {
  const { database, config, logger } = deps
  const hub = config.hub
  const downLog = createUpdateLog(database, `upstream:${hub}`)
  const watermark = createLogWatermark(database)
  const board = createHqBoard(database, { name: hub, store: config.store, forwardedSeq: 0 })
  const shared = [catalogDocName(config.store), rosterDocName(config.store)]
  const stats: UpstreamStats = { state: 'connecting', forwardedSeq: 0, forwardedRows: 0, forwardedBytes: 0, refusedRows: 0, downRows: 0, lastContact: null }
  /** Forwarded documents central keeps us subscribed to, oldest first. */
  const following = new Map<string, true>()
  let ws: WebSocket | null = null
  let closed = false
  let attempts = 0
  let cursor = 0
  let wake: (() => void) | null = null
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined
  let unlisten: (() => Promise<void>) | null = null
  /** The window in flight: rows by (doc, update id) until central answers each. */
  let inFlight: { pending: Map<string, WindowRow>; refused: WindowRow[]; transient: string | null; done: () => void; failed: (e: Error) => void } | null = null

  const key = (doc: string, id: string) => `${doc}\u0000${id}`
  const poke = () => {
    const w = wake
    wake = null
    w?.()
  }

  function send(frame: MuxFrame): void {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(encodeMux(frame))
  }

  function connect(): void {
    if (closed) return
    stats.state = 'connecting'
    const url = `${config.url}/mux?store=${encodeURIComponent(config.store)}&token=${encodeURIComponent(config.token)}`
    const socket = new WebSocket(url, { perMessageDeflate: false })
    ws = socket
    socket.binaryType = 'nodebuffer'
    let heard = true
    const beat = deps.heartbeatMs > 0
      ? setInterval(() => {
          if (!heard) return socket.terminate()
          heard = false
          send({ type: Mux.ping })
        }, deps.heartbeatMs)
      : undefined
    socket.on('open', () => {
      attempts = 0
      stats.state = 'linked'
      logger.info({ url: config.url, hub }, 'linked to central')
      void subscribeShared().catch((err: unknown) => logger.warn({ err }, 'subscribing the shared documents failed'))
      void report()
      void pump(socket)
    })
    socket.on('message', (data: Buffer) => {
      heard = true
      const frame = decodeMux(new Uint8Array(data))
      if (frame.ok) onFrame(frame.value)
    })
    socket.on('pong', () => (heard = true))
    socket.on('error', (err) => logger.debug({ err }, 'upstream socket error'))
    socket.on('close', (code, reason) => {
      if (beat) clearInterval(beat)
      if (ws === socket) ws = null
      stats.state = 'down'
      following.clear()
      inFlight?.failed(new Error(`link closed (${code} ${reason.toString()})`))
      poke()
      if (closed) return
      if (code === 4401 || code === 4403) logger.error({ code, reason: reason.toString() }, 'central refused the hub token; check UPSTREAM_TOKEN')
      const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(attempts++, 5)) * (0.5 + Math.random() / 2)
      reconnectTimer = setTimeout(connect, delay)
    })
  }

  async function subscribeShared(): Promise<void> {
    const docs: Array<{ doc: string; stateVector: Uint8Array }> = []
    for (const name of shared) {
      const parsed = parseDocName(name)
      if (!parsed.ok) continue
      const d = await deps.registry.get(name, parsed.value)
      docs.push({ doc: name, stateVector: Y.encodeStateVector(d.ydoc) })
    }
    send({ type: Mux.subscribe, docs })
  }

  function onFrame(frame: MuxFrame): void {
    switch (frame.type) {
      case Mux.batch:
        for (const inner of frame.frames) {
          const d = decodeMux(inner)
          if (d.ok) onFrame(d.value)
        }
        return
      case Mux.ack: {
        if (!inFlight) return
        for (const a of frame.acks) inFlight.pending.delete(key(frame.doc, a.updateId))
        if (inFlight.pending.size === 0) inFlight.done()
        return
      }
      case Mux.error: {
        if (frame.updateId === '' || !inFlight) {
          if (frame.code !== ErrorCode.tooManyDocuments) logger.warn({ code: frame.code, reason: frame.reason, doc: frame.doc }, 'central refused')
          return
        }
        const row = inFlight.pending.get(key(frame.doc, frame.updateId))
        if (!row) return
        inFlight.pending.delete(key(frame.doc, frame.updateId))
        if (TRANSIENT.has(frame.code)) inFlight.transient = frame.code
        else inFlight.refused.push(row)
        if (frame.code !== ErrorCode.missingDependency && TRANSIENT.has(frame.code)) logger.info({ code: frame.code, doc: frame.doc }, 'central said not now')
        if (!TRANSIENT.has(frame.code)) {
          // Central will never take this row: the hub keeps it (its log and projection),
          // the operator sees why; the rest of the store's sales keep flowing.
          logger.error({ code: frame.code, reason: frame.reason, doc: frame.doc, updateId: frame.updateId }, 'central refused a forwarded row')
          deps.audit.add({ store: config.store, actor: `hub:${hub}`, kind: 'refusal', code: frame.code, doc: frame.doc, detail: { reason: frame.reason, updateId: frame.updateId, stage: 'upstream' } })
        }
        if (inFlight.pending.size === 0) inFlight.done()
        return
      }
      case Mux.sync: {
        const d = decoding.createDecoder(frame.message)
        const t = decoding.readVarUint(d)
        // Central's step 1 is not answered: the forwarder is the only way up.
        if (t !== syncProtocol.messageYjsSyncStep2 && t !== syncProtocol.messageYjsUpdate) return
        down(frame.doc, decoding.readVarUint8Array(d))
        return
      }
      default:
        return
    }
  }

  /** Down-flow rows queued in this turn, appended in one statement. */
  let downQueue: Array<{ doc: string; store: string; bytes: Uint8Array }> = []
  let downChain: Promise<void> = Promise.resolve()
  function down(doc: string, bytes: Uint8Array): void {
    const parsed = parseDocName(doc)
    // Central sends only what this token may read (its own store); anything else is ignored.
    if (!parsed.ok || parsed.value.storeId !== config.store) return
    downQueue.push({ doc, store: parsed.value.storeId, bytes })
    if (downQueue.length > 1) return
    downChain = downChain.then(async () => {
      await new Promise<void>((r) => setImmediate(r))
      const batch = downQueue
      downQueue = []
      const fresh: typeof batch = []
      let catalog: Y.Doc | null = null
      let roster: Y.Doc | null = null
      for (const b of batch) {
        const p = parseDocName(b.doc)
        if (!p.ok) continue
        const held = await deps.registry.get(b.doc, p.value)
        if (!adds(held.ydoc, b.bytes)) continue
        fresh.push(b)
        if (b.doc === shared[0]) {
          // What the catalog will be once the registry applies the row (it catches up asynchronously).
          catalog ??= copyOf(held.ydoc)
          Y.applyUpdate(catalog, b.bytes)
        } else if (b.doc === shared[1]) {
          roster ??= copyOf(held.ydoc)
          Y.applyUpdate(roster, b.bytes)
        }
      }
      if (fresh.length === 0) return
      await downLog.append(fresh.map((b) => ({ doc: b.doc, store: b.store, updateId: null, bytes: b.bytes, actor: UPSTREAM_ACTOR })))
      stats.downRows += fresh.length
      stats.lastContact = Date.now()
      if (catalog) await mirrorCatalog(database, config.store, catalog)
      if (roster) await mirrorRoster(database, config.store, roster)
    }).catch((err: unknown) => logger.error({ err }, 'appending down-flow from central failed'))
  }

  async function pump(socket: WebSocket): Promise<void> {
    let pause = BACKOFF_MIN_MS
    while (!closed && ws === socket && socket.readyState === WebSocket.OPEN) {
      let window: Window | null
      try {
        window = await readWindow(deps.log, watermark, hub, cursor)
      } catch (err) {
        logger.warn({ err }, 'reading the log to forward failed')
        await idle(POLL_MS)
        continue
      }
      if (!window) {
        await idle(POLL_MS)
        continue
      }
      if (ws !== socket) return
      const outcome = await forward(socket, window).catch((err: Error) => err)
      if (outcome instanceof Error) return // the link closed; connect() starts again from the cursor
      if (outcome.transient) {
        // Central lacks what a row builds on, or is busy: the same window again shortly.
        await idle(pause)
        pause = Math.min(BACKOFF_MAX_MS, pause * 2)
        continue
      }
      pause = BACKOFF_MIN_MS
      // Every row is answered: central holds it durable (or refused it for good).
      await writeCursor(database, window.upto)
      cursor = window.upto
      stats.forwardedSeq = cursor
      stats.forwardedRows += window.rows.length - outcome.refused.length
      stats.forwardedBytes += window.bytes
      stats.lastContact = Date.now()
      const refused = new Set(outcome.refused)
      const held = new Map<string, string[]>()
      for (const r of window.rows) {
        if (refused.has(r) || r.outboxId === null) continue
        const l = held.get(r.doc)
        if (l) l.push(r.outboxId)
        else held.set(r.doc, [r.outboxId])
      }
      board.advance(cursor, held)
      follow(window.rows)
      void report()
    }
  }

  /**
   * Send one window and resolve once central answered every row of it. The window goes
   * in chunks, each one socket message (a batch of frames in log order, a document's
   * rows back to back), the next only once central answered every row of the one before.
   * Central queues a message's rows for its log in the order they came, never commits
   * two rounds of one document at once, and fails a document's queued rows with the
   * round before them (group-commit.ts): its log keeps each document's rows in the hub's
   * order, a prefix of them after a crash. A "not now" stops the window before the
   * next chunk is sent. (Before, a window went in per-document layers, one row of a
   * document in flight: ~35 round trips a window of a busy bar's 30 open visits.)
   */
  async function forward(socket: WebSocket, window: Window): Promise<{ refused: WindowRow[]; transient: string | null }> {
    const chunks: WindowRow[][] = []
    let chunk: WindowRow[] = []
    let size = 0
    for (const r of window.rows) {
      const bytes = r.bytes.byteLength + r.doc.length + r.updateId.length + 16
      if (chunk.length > 0 && size + bytes > MESSAGE_BYTES) {
        chunks.push(chunk)
        chunk = []
        size = 0
      }
      chunk.push(r)
      size += bytes
    }
    if (chunk.length > 0) chunks.push(chunk)
    const refused: WindowRow[] = []
    for (const c of chunks) {
      const out = await sendLayer(socket, c)
      refused.push(...out.refused)
      if (out.transient) return { refused, transient: out.transient }
    }
    return { refused, transient: null }
  }

  function sendLayer(socket: WebSocket, rows: readonly WindowRow[]): Promise<{ refused: WindowRow[]; transient: string | null }> {
    return new Promise((resolve, reject) => {
      if (ws !== socket || socket.readyState !== WebSocket.OPEN) return reject(new Error('link closed'))
      const pending = new Map<string, WindowRow>()
      for (const r of rows) pending.set(key(r.doc, r.updateId), r)
      const state = {
        pending,
        refused: [] as WindowRow[],
        transient: null as string | null,
        done: () => {
          if (inFlight === state) inFlight = null
          resolve({ refused: state.refused, transient: state.transient })
        },
        failed: (e: Error) => {
          if (inFlight === state) inFlight = null
          reject(e)
        },
      }
      inFlight = state
      if (pending.size === 0) return state.done()
      let frames: Uint8Array[] = []
      let size = 0
      const flush = () => {
        if (frames.length > 0) socket.send(frames.length === 1 ? (frames[0] as Uint8Array) : encodeBatch(frames))
        frames = []
        size = 0
      }
      for (const r of rows) {
        const f = encodeMux({ type: Mux.update, doc: r.doc, updateId: r.updateId, update: r.bytes })
        if (size + f.byteLength > MESSAGE_BYTES) flush()
        frames.push(f)
        size += f.byteLength
      }
      flush()
    })
  }

  /** Keep following what was forwarded (for central's verdicts), up to a bound. */
  function follow(rows: readonly WindowRow[]): void {
    for (const r of rows) {
      following.delete(r.doc)
      following.set(r.doc, true)
    }
    while (following.size > FOLLOW_FORWARDED) {
      const oldest = following.keys().next().value as string
      following.delete(oldest)
      if (!shared.includes(oldest)) send({ type: Mux.unsubscribe, doc: oldest })
    }
  }

  async function report(): Promise<void> {
    try {
      const b = await backlog(database, cursor)
      const secondsBehind = b.oldest ? Math.max(0, Math.round((Date.now() - b.oldest.getTime()) / 1000)) : 0
      send({ type: Mux.link, rowsBehind: b.rows, secondsBehind, forwardedSeq: cursor })
    } catch (err) {
      logger.debug({ err }, 'link report failed')
    }
  }

  function idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        if (wake === done) wake = null
        resolve()
      }, ms)
      const done = () => {
        clearTimeout(t)
        resolve()
      }
      wake = done
    })
  }

  const reporter = deps.heartbeatMs > 0 ? setInterval(() => void report(), deps.heartbeatMs) : undefined
  reporter?.unref()

  const ready = (async () => {
    cursor = await readCursor(database)
    stats.forwardedSeq = cursor
    board.advance(cursor, new Map())
    unlisten = await database.listen(deps.log.channel, () => poke())
    connect()
  })()
  ready.catch((err: unknown) => logger.error({ err }, 'the upstream link could not start'))

  return {
    board,
    ready,
    stats: () => ({ ...stats }),
    async close() {
      closed = true
      if (reporter) clearInterval(reporter)
      if (reconnectTimer) clearTimeout(reconnectTimer)
      poke()
      ws?.close(1001, 'hub stopping')
      await ready.catch(() => {})
      await downChain
      if (unlisten) await unlisten().catch(() => {})
    },
  }
}

function copyOf(doc: Y.Doc): Y.Doc {
  const copy = new Y.Doc({ gc: false })
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc))
  return copy
}

/**
 * Whether `update` adds anything to `doc`: a struct it lacks, or a deletion of
 * something it has not deleted (each deleted range checked at its ends). Central's
 * step 2 repeats the whole delete set on every link; appending that each time would
 * grow the hub's log with rows that change nothing.
 */
function adds(doc: Y.Doc, update: Uint8Array): boolean {
  const sv = Y.decodeStateVector(Y.encodeStateVector(doc))
  const theirs = Y.decodeStateVector(Y.encodeStateVectorFromUpdate(update))
  for (const [client, clock] of theirs) if (clock > (sv.get(client) ?? 0)) return true
  const { ds } = Y.decodeUpdate(update)
  const mine = Y.createDeleteSetFromStructStore(doc.store)
  for (const [client, ranges] of ds.clients) {
    for (const r of ranges) {
      if (!Y.isDeleted(mine, Y.createID(client, r.clock)) || !Y.isDeleted(mine, Y.createID(client, r.clock + r.len - 1))) return true
    }
  }
  return false
}
