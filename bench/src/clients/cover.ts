/**
 * "Does the server hold my edits?" asked with the stock protocol only: send sync step 1
 * with an empty state vector, the server answers with its whole state as step 2, and we
 * check that state's vector covers ours. Works against any y-websocket-protocol server
 * without extensions (the edits in these workloads never delete, so a state vector is
 * enough; see DESIGN.md for why Tally itself acknowledges delete sets too).
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'

const messageSync = 0
const syncStep1 = 0
const syncStep2 = 1
const EMPTY_STATE_VECTOR = Y.encodeStateVector(new Y.Doc())

export function covers(serverUpdate: Uint8Array, local: Y.Doc): boolean {
  const remote = Y.decodeStateVector(Y.encodeStateVectorFromUpdate(serverUpdate))
  for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVector(local))) {
    if ((remote.get(client) ?? 0) < clock) return false
  }
  return true
}

/** Sync step 1 asking for everything; `prefix` is Hocuspocus's document-name routing key. */
export function encodeFullStateRequest(prefix?: string): Uint8Array {
  const enc = encoding.createEncoder()
  if (prefix !== undefined) encoding.writeVarString(enc, prefix)
  encoding.writeVarUint(enc, messageSync)
  encoding.writeVarUint(enc, syncStep1)
  encoding.writeVarUint8Array(enc, EMPTY_STATE_VECTOR)
  return encoding.toUint8Array(enc)
}

/** The update inside a sync step 2 message, or undefined for any other message. */
export function decodeStep2(data: Uint8Array, prefix?: string): Uint8Array | undefined {
  try {
    const dec = decoding.createDecoder(data)
    if (prefix !== undefined && decoding.readVarString(dec) !== prefix) return undefined
    if (decoding.readVarUint(dec) !== messageSync) return undefined
    if (decoding.readVarUint(dec) !== syncStep2) return undefined
    return decoding.readVarUint8Array(dec)
  } catch {
    return undefined
  }
}

export function toBytes(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data as Buffer[]))
  throw new Error('unexpected websocket message payload')
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Polls the server until its full state covers the local document. `ask` sends one
 * request and resolves with the server's answer (or undefined on timeout).
 */
export async function pollUntilCovered(
  doc: Y.Doc,
  ask: (timeoutMs: number) => Promise<Uint8Array | undefined>,
  deadlineMs: number,
): Promise<boolean> {
  let delay = 10
  while (Date.now() < deadlineMs) {
    const answer = await ask(Math.max(1, Math.min(5_000, deadlineMs - Date.now())))
    if (answer && covers(answer, doc)) return true
    await sleep(delay)
    delay = Math.min(200, delay * 2)
  }
  return false
}

/** One outstanding full-state request at a time per document, answered in order. */
export function createAsker(send: (bytes: Uint8Array) => void, prefix?: string) {
  const waiting: Array<(u: Uint8Array | undefined) => void> = []
  return {
    onMessage(data: Uint8Array): void {
      if (waiting.length === 0) return
      const update = decodeStep2(data, prefix)
      if (update) waiting.shift()?.(update)
    },
    ask(timeoutMs: number): Promise<Uint8Array | undefined> {
      return new Promise((resolve) => {
        const settle = (u: Uint8Array | undefined) => {
          clearTimeout(timer)
          resolve(u)
        }
        const timer = setTimeout(() => {
          const i = waiting.indexOf(settle)
          if (i >= 0) waiting.splice(i, 1)
          resolve(undefined)
        }, timeoutMs)
        waiting.push(settle)
        send(encodeFullStateRequest(prefix))
      })
    },
  }
}
