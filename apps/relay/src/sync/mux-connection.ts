/**
 * `/mux`: one socket, many documents. A reconnecting terminal resumes every document
 * it holds with one `subscribe` frame and gets every answer back in one `batch`.
 */
import * as decoding from 'lib0/decoding'
import * as syncProtocol from 'y-protocols/sync'
import { ErrorCode, Mux, decodeMux, encodeBatch, encodeMux, isUpdateId, type MuxAck, type MuxFrame } from '@tally/schema'
import { applyAwareness, budgetKey } from './awareness-guard.ts'
import { RowRefusedError } from './group-commit.ts'
import { memoized, type LoadedDoc, type Subscriber } from './loaded-doc.ts'
import { syncStep1, syncStep2, syncUpdate } from './messages.ts'
import { serial, Session, type Refusal, type SessionDeps, type Socket } from './session.ts'
import { storeRouteRefusal } from './store-route.ts'
import { isPing, PONG, recordSilent, statusFigures } from './terminal-status.ts'
import type { Connection } from './ysync-connection.ts'

let nextId = 1_000_000

/**
 * Acks for one document gathered in one turn, encoded as one frame when the turn's frames
 * leave, with the document's state vector then: everything in it is committed.
 */
interface AckGroup {
  readonly doc: LoadedDoc
  readonly acks: MuxAck[]
}

/** Documents one subscribe frame may name; more is a client bug or an attack. */
export const MAX_SUBSCRIBE = 5_000

export function handleMuxConnection(deps: SessionDeps, ws: Socket, info: { token: string | null; remote: string; store?: string | null | undefined }): Connection {
  /**
   * Frames queued in one turn of the event loop leave as one message: a commit round's
   * relays and acks for this terminal cost one socket write, not one each.
   */
  let outbox: Array<Uint8Array | AckGroup> = []
  /**
   * Acks of this turn by document. A commit round holding several of this terminal's
   * updates to a document is answered with one ack frame naming them all.
   */
  let acks = new Map<LoadedDoc, AckGroup>()
  /**
   * A turn's frames travel in one batch: one socket write per terminal per commit round
   * (a write costs the relay more than copying a few kilobytes). A large frame (a big
   * merged relay, encoded once for every subscriber) is sent as it is rather than
   * copied into each terminal's batch. Order is kept.
   */
  const BATCH_FRAME_MAX = 64 * 1024
  const flush = () => {
    const frames = outbox
    outbox = []
    acks = new Map()
    let small: Uint8Array[] = []
    const sendSmall = () => {
      if (small.length === 1) ws.send(small[0] as Uint8Array)
      else if (small.length > 1) ws.send(encodeBatch(small))
      small = []
    }
    for (const item of frames) {
      const f = item instanceof Uint8Array ? item : encodeMux({ type: Mux.ack, doc: item.doc.name, acks: item.acks, stateVector: item.doc.durableStateVector() })
      if (f.byteLength <= BATCH_FRAME_MAX) {
        small.push(f)
        continue
      }
      sendSmall()
      ws.send(f)
    }
    sendSmall()
  }
  const sendBytes = (bytes: Uint8Array | AckGroup) => {
    outbox.push(bytes)
    if (outbox.length === 1) setImmediate(flush)
  }
  /**
   * On a store hub: this connection's acknowledged outbox ids central does not hold yet,
   * by document, so it is told "safe at HQ" even for documents it no longer follows.
   */
  const awaitingHq = new Map<string, Set<string>>()
  let stopHq: (() => void) | null = null
  const ack = (doc: LoadedDoc, updateId: string, seq: number) => {
    if (deps.hq && updateId !== '') {
      // Already forwarded (a resend of an entry whose ack was lost): say so at once.
      if (seq <= deps.hq.forwardedSeq) queueMicrotask(() => send({ type: Mux.hq, doc: doc.name, updateIds: [updateId] }))
      else {
        const set = awaitingHq.get(doc.name)
        if (set) set.add(updateId)
        else awaitingHq.set(doc.name, new Set([updateId]))
      }
    }
    deps.metrics.acks.inc()
    const group = acks.get(doc)
    if (group) return void group.acks.push({ updateId, seq })
    const fresh: AckGroup = { doc, acks: [{ updateId, seq }] }
    acks.set(doc, fresh)
    sendBytes(fresh)
  }
  // Everything leaves through the outbox, in order; a close sends what is queued first.
  const socket: Socket = {
    send: sendBytes,
    close(code, reason) {
      flush()
      ws.close(code, reason)
    },
  }
  const session = new Session(deps, socket, info.remote)
  const docs = new Map<string, LoadedDoc>()
  const send = (frame: MuxFrame) => sendBytes(encodeMux(frame))
  const subscriber: Subscriber = {
    id: nextId++,
    sendUpdate: (doc, update, memo) => sendBytes(memoized(memo, 'mux', () => encodeMux({ type: Mux.sync, doc, message: syncUpdate(update) }))),
    sendAwareness: (doc, update) => send({ type: Mux.awareness, doc, update }),
  }
  const run = serial((err) => {
    deps.logger.error({ err }, 'mux connection failed')
    session.fatal({ code: ErrorCode.internal, reason: 'internal error' })
  })
  const errorFrame = (r: Refusal): Uint8Array =>
    encodeMux({ type: Mux.error, code: r.code, reason: r.reason, doc: r.doc ?? '', updateId: r.updateId ?? '' })
  const failed = (err: unknown) => {
    deps.logger.error({ err }, 'append failed')
    session.fatal({ code: ErrorCode.unavailable, reason: 'the log is unavailable; retry' })
  }
  const malformed = (err: unknown) => {
    if (session.closed) return
    deps.logger.debug({ err }, 'malformed mux message')
    session.fatal({ code: ErrorCode.malformed, reason: 'message does not decode' })
  }
  const refuse = (r: Refusal) => {
    session.record(r)
    socket.send(errorFrame(r))
  }

  run(async () => {
    if (!(await session.authenticate(info.token)) || !session.claims) return
    const misrouted = storeRouteRefusal(session.claims, info.store)
    if (misrouted) return session.fatal(misrouted)
    const hq = deps.hq
    if (hq && session.claims.role !== 'hub') {
      send({ type: Mux.hub, name: hq.name })
      stopHq = hq.onHeld((doc, ids) => {
        const set = awaitingHq.get(doc)
        if (!set) return
        const mine = ids.filter((id) => set.delete(id))
        if (set.size === 0) awaitingHq.delete(doc)
        if (mine.length > 0) send({ type: Mux.hq, doc, updateIds: mine })
      })
    }
  })

  async function subscribe(entries: Array<{ doc: string; stateVector: Uint8Array }>): Promise<void> {
    if (entries.length > MAX_SUBSCRIBE) {
      return session.fatal({ code: ErrorCode.badRequest, reason: `subscribe names ${entries.length} documents; at most ${MAX_SUBSCRIBE}` })
    }
    const out: Uint8Array[] = []
    const ok: Array<{ doc: LoadedDoc; stateVector: Uint8Array }> = []
    // Past the per-connection cap, new documents are refused one by one ("not now": the
    // client may drop some and ask again); the audit gets one row for the frame, not one each.
    let room = deps.maxDocsPerSocket - docs.size
    let over = 0
    const admitted = entries.filter((e) => {
      if (docs.has(e.doc)) return true
      if (room > 0) {
        room--
        return true
      }
      over++
      out.push(errorFrame({ code: ErrorCode.tooManyDocuments, reason: `a connection follows at most ${deps.maxDocsPerSocket} documents`, doc: e.doc }))
      return false
    })
    if (over > 0) session.record({ code: ErrorCode.tooManyDocuments, reason: `${over} documents past the cap of ${deps.maxDocsPerSocket} refused` })
    await Promise.all(
      admitted.map(async (e) => {
        const parsed = session.parseName(e.doc)
        if (!parsed.ok) {
          session.record(parsed.refusal)
          out.push(errorFrame(parsed.refusal))
          return
        }
        ok.push({ doc: await deps.registry.get(e.doc, parsed.name), stateVector: e.stateVector })
      }),
    )
    if (session.closed) return
    const names: string[] = []
    for (const { doc, stateVector } of ok) {
      let step2: Uint8Array
      try {
        step2 = syncStep2(doc.ydoc, stateVector)
      } catch {
        const r = { code: ErrorCode.malformed, reason: 'state vector does not decode', doc: doc.name }
        session.record(r)
        out.push(errorFrame(r))
        continue
      }
      if (!docs.has(doc.name)) {
        docs.set(doc.name, doc)
        deps.registry.subscribe(doc, subscriber)
      }
      out.push(encodeMux({ type: Mux.sync, doc: doc.name, message: step2 }))
      out.push(encodeMux({ type: Mux.sync, doc: doc.name, message: syncStep1(doc.ydoc) }))
      names.push(doc.name)
    }
    out.push(encodeMux({ type: Mux.subscribed, docs: names }))
    // Queued frame by frame: the turn's flush puts them in one batch with the rest.
    for (const f of out) socket.send(f)
  }

  /** The frames of a batch in order; waits only where a frame has to (a document to load). */
  function handleBatch(frames: readonly Uint8Array[], from: number): void | Promise<void> {
    // A store hub's window names hundreds of documents this relay has not loaded:
    // load them together (one query), not one round trip per frame.
    if (from === 0 && session.claims?.role === 'hub') {
      const names = new Map<string, Parameters<typeof deps.registry.get>[1]>()
      for (const f of frames) {
        const d = decodeMux(f)
        if (!d.ok || d.value.type !== Mux.update || docs.has(d.value.doc) || names.has(d.value.doc)) continue
        const parsed = session.parseName(d.value.doc)
        if (parsed.ok) names.set(d.value.doc, parsed.name)
      }
      // All of them, even one: the frames after it then queue in one go, which keeps a
      // document's rows in a failed round and the ones behind it together (group-commit.ts).
      if (names.size > 0) return Promise.all([...names].map(([n, p]) => deps.registry.get(n, p))).then(() => handleBatch(frames, -1))
    }
    for (let i = Math.max(0, from); i < frames.length; i++) {
      const inner = decodeMux(frames[i] as Uint8Array)
      if (!inner.ok || inner.value.type === Mux.batch) {
        return session.fatal({ code: ErrorCode.malformed, reason: inner.ok ? 'nested batch' : inner.error })
      }
      const waiting = handle(inner.value)
      if (waiting) return waiting.then(() => handleBatch(frames, i + 1))
    }
  }

  function submitUpdate(doc: LoadedDoc, frame: Extract<MuxFrame, { type: typeof Mux.update }>): void {
    const out = session.submit(doc, frame.update, frame.updateId || null, subscriber)
    if (!out.ok) return refuse({ ...out.refusal, updateId: frame.updateId })
    out.done.then(
      (r) => ack(doc, frame.updateId, r.seq),
      (err: unknown) =>
        // The log refused this update's row alone: a refusal of the entry, not an outage.
        err instanceof RowRefusedError ? refuse({ code: ErrorCode.badRequest, reason: err.message, doc: doc.name, updateId: frame.updateId }) : failed(err),
    )
  }

  /**
   * Handle one frame. Most finish at once (an update for a document already loaded)
   * and return nothing; one that must wait returns its promise, and the connection's
   * next messages wait for it.
   */
  function handle(frame: MuxFrame): void | Promise<void> {
    switch (frame.type) {
      case Mux.batch:
        return handleBatch(frame.frames, 0)
      case Mux.subscribe:
        return subscribe(frame.docs)
      case Mux.unsubscribe: {
        const doc = docs.get(frame.doc)
        if (doc) {
          docs.delete(frame.doc)
          deps.registry.unsubscribe(doc, subscriber)
        }
        return
      }
      case Mux.update: {
        // Checked where it enters: the id goes to a text column and into audit rows.
        if (frame.updateId !== '' && !isUpdateId(frame.updateId)) {
          return refuse({ code: ErrorCode.badRequest, reason: 'update id must be 1-128 printable ASCII characters', doc: frame.doc, updateId: frame.updateId })
        }
        const doc = docs.get(frame.doc)
        if (doc) return submitUpdate(doc, frame)
        return subscribeOne(frame.doc, frame.updateId).then((loaded) => {
          if (loaded) submitUpdate(loaded, frame)
        })
      }
      case Mux.sync: {
        const doc = docs.get(frame.doc)
        if (!doc) return refuse({ code: ErrorCode.badRequest, reason: 'subscribe before syncing', doc: frame.doc })
        const d = decoding.createDecoder(frame.message)
        const t = decoding.readVarUint(d)
        if (t === syncProtocol.messageYjsSyncStep1) {
          send({ type: Mux.sync, doc: doc.name, message: syncStep2(doc.ydoc, decoding.readVarUint8Array(d)) })
          return
        }
        if (t !== syncProtocol.messageYjsSyncStep2 && t !== syncProtocol.messageYjsUpdate) {
          return refuse({ code: ErrorCode.unknownMessage, reason: `unknown sync message ${t}`, doc: doc.name })
        }
        const out = session.submit(doc, decoding.readVarUint8Array(d), null, subscriber)
        if (!out.ok) return refuse(out.refusal)
        out.done.catch(failed)
        return
      }
      case Mux.awareness: {
        const doc = docs.get(frame.doc)
        if (!doc) return
        const r = applyAwareness(doc, frame.update, subscriber, deps.awareness)
        if (!r.ok) refuse({ code: r.code, reason: r.reason, doc: doc.name })
        return
      }
      case Mux.ping:
        return socket.send(PONG)
      case Mux.status: {
        const figures = statusFigures(frame)
        if (!figures.ok) return refuse(figures.refusal)
        if (session.claims?.role === 'terminal') deps.terminals.report(session, figures.value)
        return
      }
      case Mux.hq: {
        // "Which of these does central hold?": a hub answers from its forward cursor, a
        // central relay from its log. An answer names only ids that are held.
        const ask = deps.heldAtHq
        if (!ask || frame.updateIds.length === 0) return
        if (frame.updateIds.length > MAX_SUBSCRIBE || !frame.updateIds.every(isUpdateId)) {
          return refuse({ code: ErrorCode.badRequest, reason: `an hq question names 1-${MAX_SUBSCRIBE} update ids`, doc: frame.doc })
        }
        const parsed = session.parseName(frame.doc)
        if (!parsed.ok) return refuse(parsed.refusal)
        return ask(frame.doc, frame.updateIds).then((held) => {
          const set = awaitingHq.get(frame.doc)
          if (set) for (const id of held) set.delete(id)
          if (held.length > 0) send({ type: Mux.hq, doc: frame.doc, updateIds: held })
        })
      }
      case Mux.link: {
        if (session.claims?.role !== 'hub') return refuse({ code: ErrorCode.badRequest, reason: 'only a store hub reports its link' })
        deps.hubs?.report(session, { rowsBehind: frame.rowsBehind, secondsBehind: frame.secondsBehind, forwardedSeq: frame.forwardedSeq })
        return
      }
      case Mux.ack:
      case Mux.error:
      case Mux.subscribed:
      case Mux.hub:
      case Mux.pong:
        return refuse({ code: ErrorCode.unknownMessage, reason: `frame type ${frame.type} is server-to-client` })
      default: {
        const never: never = frame
        return never
      }
    }
  }

  /** An update for a document not yet subscribed: subscribe implicitly (no answer sent). */
  async function subscribeOne(name: string, updateId: string): Promise<LoadedDoc | undefined> {
    if (docs.size >= deps.maxDocsPerSocket) {
      refuse({ code: ErrorCode.tooManyDocuments, reason: `a connection follows at most ${deps.maxDocsPerSocket} documents`, doc: name, updateId })
      return undefined
    }
    const parsed = session.parseName(name)
    if (!parsed.ok) {
      refuse({ ...parsed.refusal, updateId })
      return undefined
    }
    const doc = await deps.registry.get(name, parsed.name)
    if (!docs.has(name)) {
      docs.set(name, doc)
      deps.registry.subscribe(doc, subscriber)
    }
    return doc
  }

  return {
    handleMessage(bytes) {
      // Answered at once, not behind a slow subscribe in the queue: a terminal that
      // hears nothing for two heartbeat intervals drops the socket and reconnects.
      if (isPing(bytes)) {
        if (session.admit(bytes.byteLength)) ws.send(PONG)
        return
      }
      run(() => {
        if (!session.admit(bytes.byteLength)) return
        const frame = decodeMux(bytes)
        if (!frame.ok) return session.fatal({ code: ErrorCode.malformed, reason: frame.error })
        try {
          const waiting = handle(frame.value)
          if (waiting) return waiting.catch(malformed)
        } catch (err) {
          malformed(err)
        }
      })
    },
    handleOverflow(bytes) {
      session.fatal({ code: ErrorCode.slowConsumer, reason: `${bytes} bytes wait to be read; reconnect and resync` })
    },
    handleHeard: () => {
      deps.terminals.heard(session)
      deps.hubs?.heard(session)
    },
    handleSilent: () => recordSilent(session),
    handleTooLarge(limit) {
      session.tooLarge(limit)
    },
    handleClose() {
      session.closed = true
      stopHq?.()
      run(async () => {
        for (const doc of docs.values()) deps.registry.unsubscribe(doc, subscriber)
        docs.clear()
        deps.awareness.budget.drop(budgetKey(subscriber))
        session.end()
      })
    },
  }
}
