/** Encoders for the y-websocket messages the relay sends. */
import * as encoding from 'lib0/encoding'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'
import { YMessage } from '@tally/schema'

export function syncStep1(doc: Y.Doc): Uint8Array {
  const e = encoding.createEncoder()
  syncProtocol.writeSyncStep1(e, doc)
  return encoding.toUint8Array(e)
}

export function syncStep2(doc: Y.Doc, stateVector: Uint8Array): Uint8Array {
  const e = encoding.createEncoder()
  syncProtocol.writeSyncStep2(e, doc, stateVector)
  return encoding.toUint8Array(e)
}

export function syncUpdate(update: Uint8Array): Uint8Array {
  const e = encoding.createEncoder()
  syncProtocol.writeUpdate(e, update)
  return encoding.toUint8Array(e)
}

/** Wrap a sync-protocol message as a top-level y-websocket message. */
export function ySync(message: Uint8Array): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, YMessage.sync)
  encoding.writeUint8Array(e, message)
  return encoding.toUint8Array(e)
}

export function yAwareness(update: Uint8Array): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, YMessage.awareness)
  encoding.writeVarUint8Array(e, update)
  return encoding.toUint8Array(e)
}
