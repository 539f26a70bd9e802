/**
 * What each frame from the relay means, decided in one place: batches are opened, sync
 * messages split into "the relay's state vector" and "content to apply", and error
 * frames sorted into "not now" (retry), "this entry: never" and "this document: never".
 */
import { ErrorCode, Mux, decodeMux, type MuxAck, type MuxFrame } from '@tally/schema'
import { parseSyncMessage, SyncStep } from './sync-message.ts'

/** Codes that say "not now", not "never": the entry stays pending and is retried. */
export const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  ErrorCode.rateLimited,
  ErrorCode.unavailable,
  // The relay lacks what the entry builds on (out of order after a reconnect): resend later.
  ErrorCode.missingDependency,
  ErrorCode.tooManyDocuments,
  ErrorCode.internal,
  ErrorCode.tokenExpired,
  ErrorCode.badToken,
  ErrorCode.missingToken,
])

export interface InboundHandler {
  /** Relay sync step 1: its (committed, so durable) state vector. */
  relayState(doc: string, stateVector: Uint8Array): void
  /** Relay step 2 or update: apply with the client as origin (may be deferred, see `settle`). */
  remoteUpdate(doc: string, update: Uint8Array): void
  /** Called before any frame other than a relay update: deferred relay updates apply now. */
  settle(): void
  /** Entries committed in the log, with the relay's durable state vector after them. */
  ack(doc: string, acks: readonly MuxAck[], stateVector: Uint8Array): void
  refusedEntry(doc: string, updateId: string, code: string, reason: string): void
  refusedDoc(doc: string, code: string, reason: string): void
  retryLater(): void
  subscribed(docs: string[]): void
  /** The relay is a store hub (its acks mean "safe in the store"). */
  hub(name: string): void
  /** Central holds these entries durable ("safe at HQ"). */
  hq(doc: string, updateIds: string[]): void
}

export function handleInbound(frame: MuxFrame, h: InboundHandler): void {
  switch (frame.type) {
    case Mux.batch:
      for (const inner of frame.frames) {
        const decoded = decodeMux(inner)
        // An unreadable inner frame is skipped: anything unacknowledged is resent later.
        if (decoded.ok) handleInbound(decoded.value, h)
      }
      return
    case Mux.sync: {
      const msg = parseSyncMessage(frame.message)
      if (!msg) return
      if (msg.step !== SyncStep.step1) return h.remoteUpdate(frame.doc, msg.payload)
      h.settle()
      return h.relayState(frame.doc, msg.payload)
    }
    case Mux.ack:
      h.settle()
      return h.ack(frame.doc, frame.acks, frame.stateVector)
    case Mux.error:
      h.settle()
      if (TRANSIENT_CODES.has(frame.code)) {
        if (frame.updateId !== '') h.retryLater()
        return
      }
      if (frame.updateId !== '') return h.refusedEntry(frame.doc, frame.updateId, frame.code, frame.reason)
      if (frame.doc !== '') h.refusedDoc(frame.doc, frame.code, frame.reason)
      return
    case Mux.subscribed:
      h.settle()
      return h.subscribed(frame.docs)
    case Mux.hub:
      return h.hub(frame.name)
    case Mux.hq:
      h.settle()
      return h.hq(frame.doc, frame.updateIds)
    case Mux.pong:
      return // liveness only: the connection noted that the relay spoke
    case Mux.awareness:
    case Mux.ping:
    case Mux.status:
    case Mux.subscribe:
    case Mux.update:
    case Mux.unsubscribe:
    case Mux.link:
      return // awareness is not used by terminals; the rest only flow client -> relay
    default: {
      const never: never = frame
      return never
    }
  }
}
