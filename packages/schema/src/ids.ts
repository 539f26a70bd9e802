import { v7 } from 'uuid'

/**
 * Random bytes for ids, drawn from the platform's CSPRNG a pool at a time. One
 * `getRandomValues` call per id cost about 15 µs in Node (a terminal in a busy
 * tab mints an id per edit); slicing a 4 KiB pool costs well under one.
 */
const POOL_BYTES = 16 * 256
const pool = new Uint8Array(POOL_BYTES)
let used = POOL_BYTES

function random16(): Uint8Array {
  if (used === POOL_BYTES) {
    globalThis.crypto.getRandomValues(pool)
    used = 0
  }
  const out = pool.subarray(used, used + 16)
  used += 16
  return out
}

/**
 * Millisecond and sequence of the last id, so ids made in the same millisecond still
 * sort in the order they were made (RFC 9562 method 1: a counter seeded at random each
 * millisecond; on overflow the timestamp moves on). `uuid` keeps the same state itself,
 * but only when it draws its own random bytes.
 */
let lastMs = -Infinity
let seq = 0

/** Ids are UUIDv7, made where the thing is made (on the terminal): time-ordered, no server round trip. */
export function uuidv7(): string {
  const random = random16()
  const now = Date.now()
  if (now > lastMs) {
    lastMs = now
    seq = (((random[6] as number) & 0x7f) << 24) | ((random[7] as number) << 16) | ((random[8] as number) << 8) | (random[9] as number)
  } else {
    seq = (seq + 1) | 0
    if (seq === 0) lastMs++
  }
  return v7({ random, msecs: lastMs, seq })
}
