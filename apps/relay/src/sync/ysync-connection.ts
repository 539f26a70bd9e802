/**
 * `/sync/{doc}`: the y-websocket protocol, so a stock WebsocketProvider works unchanged.
 * Clients that connect with `acks=1` also get an ack (seq + durable state vector) after
 * each of their updates commits, and typed error messages instead of a closed socket.
 */
import * as decoding from 'lib0/decoding'
import * as syncProtocol from 'y-protocols/sync'
import { encodeAwarenessUpdate } from 'y-protocols/awareness'
import { ErrorCode, YMessage, encodeSyncAck, encodeSyncError } from '@tally/schema'
import { applyAwareness, budgetKey } from './awareness-guard.ts'
import { RowRefusedError } from './group-commit.ts'
import { memoized, type LoadedDoc, type Subscriber } from './loaded-doc.ts'
import { ySync, syncStep1, syncStep2, syncUpdate, yAwareness } from './messages.ts'
import { serial, Session, type Refusal, type SessionDeps, type Socket } from './session.ts'
import { recordSilent } from './terminal-status.ts'

export interface Connection {
  handleMessage(bytes: Uint8Array): void
  handleClose(): void
  /** The peer is not reading: this many bytes wait to be sent. */
  handleOverflow(bufferedBytes: number): void
  /** Something (a frame, a pong) arrived: the peer is there. */
  handleHeard?(): void
  /** The peer answered no heartbeat; the socket is being terminated (handleClose follows). */
  handleSilent?(): void
  /** The transport refused a message over `limit` bytes and closed the socket (1009). */
  handleTooLarge(limit: number): void
}

let nextId = 1

export function handleSyncConnection(
  deps: SessionDeps,
  socket: Socket,
  info: { docName: string; token: string | null; acks: boolean; remote: string },
): Connection {
  const session = new Session(deps, socket, info.remote, info.docName)
  let doc: LoadedDoc | null = null
  const subscriber: Subscriber = {
    id: nextId++,
    sendUpdate: (_d, update, memo) => socket.send(memoized(memo, 'sync', () => ySync(syncUpdate(update)))),
    sendAwareness: (_d, update) => socket.send(yAwareness(update)),
  }
  const run = serial((err) => {
    deps.logger.error({ err }, 'sync connection failed')
    session.fatal({ code: ErrorCode.internal, reason: 'internal error' })
  })

  const failed = (err: unknown) => {
    // The log refused this update's row alone: a refusal, not an outage to retry.
    if (err instanceof RowRefusedError) return refuse({ code: ErrorCode.badRequest, reason: err.message, doc: info.docName })
    deps.logger.error({ err }, 'append failed')
    session.fatal({ code: ErrorCode.unavailable, reason: 'the log is unavailable; retry' })
  }
  const refuse = (r: Refusal) => {
    if (info.acks) {
      session.record(r)
      socket.send(encodeSyncError(r.code, r.reason))
    } else {
      session.fatal(r)
    }
  }

  run(async () => {
    if (!(await session.authenticate(info.token))) return
    const parsed = session.parseName(info.docName)
    if (!parsed.ok) return session.fatal(parsed.refusal)
    const loaded = await deps.registry.get(info.docName, parsed.name)
    if (session.closed) return
    doc = loaded
    deps.registry.subscribe(doc, subscriber)
    socket.send(ySync(syncStep1(doc.ydoc)))
    const states = doc.awarenessClients()
    if (states.length > 0) socket.send(yAwareness(encodeAwarenessUpdate(doc.awareness, states)))
  })

  function onMessage(bytes: Uint8Array): void {
    if (!doc || !session.admit(bytes.byteLength)) return
    const d = decoding.createDecoder(bytes)
    const type = decoding.readVarUint(d)
    switch (type) {
      case YMessage.sync: {
        const syncType = decoding.readVarUint(d)
        if (syncType === syncProtocol.messageYjsSyncStep1) {
          socket.send(ySync(syncStep2(doc.ydoc, decoding.readVarUint8Array(d))))
          return
        }
        if (syncType !== syncProtocol.messageYjsSyncStep2 && syncType !== syncProtocol.messageYjsUpdate) {
          return refuse({ code: ErrorCode.unknownMessage, reason: `unknown sync message ${syncType}`, doc: doc.name })
        }
        const out = session.submit(doc, decoding.readVarUint8Array(d), null, subscriber)
        if (!out.ok) return refuse(out.refusal)
        // Not awaited: the next message is checked while this one commits. A resend that
        // arrives before its original committed is appended twice, which Yjs ignores.
        const target = doc
        out.done.then((r) => {
          if (!info.acks || r.vacuous) return
          deps.metrics.acks.inc()
          socket.send(encodeSyncAck(r.seq, target.durableStateVector()))
        }, failed)
        return
      }
      case YMessage.awareness: {
        const r = applyAwareness(doc, decoding.readVarUint8Array(d), subscriber, deps.awareness)
        // Dropped, recorded, and told (with acks=1), not closed: a stock client would
        // reconnect and send the same presence again.
        if (!r.ok) {
          const refusal = { code: r.code, reason: r.reason, doc: doc.name }
          // Bytes that do not decode are malformed like any other message (RLY5).
          if (r.code === ErrorCode.malformed) return refuse(refusal)
          session.record(refusal)
          if (info.acks) socket.send(encodeSyncError(r.code, r.reason))
        }
        return
      }
      case YMessage.queryAwareness:
        socket.send(yAwareness(encodeAwarenessUpdate(doc.awareness, doc.awarenessClients())))
        return
      case YMessage.auth:
        return
      default:
        return refuse({ code: ErrorCode.unknownMessage, reason: `unknown message type ${type}`, doc: doc.name })
    }
  }

  return {
    handleMessage(bytes) {
      run(() => {
        try {
          onMessage(bytes)
        } catch (err) {
          if (session.closed) return
          deps.logger.debug({ err }, 'malformed message')
          session.fatal({ code: ErrorCode.malformed, reason: 'message does not decode', doc: info.docName })
        }
      })
    },
    handleOverflow(bytes) {
      session.fatal({ code: ErrorCode.slowConsumer, reason: `${bytes} bytes wait to be read; reconnect and resync`, doc: info.docName })
    },
    handleHeard: () => deps.terminals.heard(session),
    handleSilent: () => recordSilent(session),
    handleTooLarge(limit) {
      session.tooLarge(limit, info.docName)
    },
    handleClose() {
      session.closed = true
      run(async () => {
        if (doc) deps.registry.unsubscribe(doc, subscriber)
        deps.awareness.budget.drop(budgetKey(subscriber))
        session.end()
      })
    },
  }
}

