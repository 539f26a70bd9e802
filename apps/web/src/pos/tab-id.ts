/**
 * A visit's tab (its shared cart) has an id derived from the visit id, so two terminals
 * that scan the same bracelet open the SAME cart document without asking anyone (the
 * roster is server-only and the terminals may be offline).
 *
 * Rule (documented in apps/web/SPEC.md, POS4): the n-th tab of visit V is
 *   tabId(V, n) = UUIDv7-shaped id whose 48-bit time field is V's (when V is a UUIDv7)
 *                 and whose other bits come from SHA-1("tally-tab:" + V + ":" + n),
 *                 with the version nibble 7 and the RFC 4122 variant.
 * The current tab is the first n whose cart is not checked out: a checkout marks the cart
 * and adds a consumption entry keyed by the ticket id (= cart id) to the visit document,
 * so every terminal moves on to n+1 after a sale, whichever terminal made it.
 */
import { isUuid } from '@tally/schema'

// SHA-1 (FIPS 180-1), synchronous so it works without SubtleCrypto (plain-http LAN
// deployments are not a secure context). Not used for security, only to spread bits.
function sha1(bytes: Uint8Array): Uint8Array {
  const ml = bytes.length * 8
  const withOne = bytes.length + 1
  const total = Math.ceil((withOne + 8) / 64) * 64
  const msg = new Uint8Array(total)
  msg.set(bytes)
  msg[bytes.length] = 0x80
  const dv = new DataView(msg.buffer)
  dv.setUint32(total - 8, Math.floor(ml / 2 ** 32))
  dv.setUint32(total - 4, ml >>> 0)
  let h0 = 0x67452301, h1 = 0xefcdab89, h2 = 0x98badcfe, h3 = 0x10325476, h4 = 0xc3d2e1f0
  const w = new Uint32Array(80)
  for (let off = 0; off < total; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = dv.getUint32(off + i * 4)
    for (let i = 16; i < 80; i++) {
      const x = (w[i - 3] as number) ^ (w[i - 8] as number) ^ (w[i - 14] as number) ^ (w[i - 16] as number)
      w[i] = (x << 1) | (x >>> 31)
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4
    for (let i = 0; i < 80; i++) {
      let f: number, k: number
      if (i < 20) { f = (b & c) | (~b & d); k = 0x5a827999 }
      else if (i < 40) { f = b ^ c ^ d; k = 0x6ed9eba1 }
      else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8f1bbcdc }
      else { f = b ^ c ^ d; k = 0xca62c1d6 }
      const t = (((a << 5) | (a >>> 27)) + f + e + k + (w[i] as number)) >>> 0
      e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = t
    }
    h0 = (h0 + a) >>> 0; h1 = (h1 + b) >>> 0; h2 = (h2 + c) >>> 0; h3 = (h3 + d) >>> 0; h4 = (h4 + e) >>> 0
  }
  const out = new Uint8Array(20)
  const odv = new DataView(out.buffer)
  ;[h0, h1, h2, h3, h4].forEach((h, i) => odv.setUint32(i * 4, h))
  return out
}

export function sha1Hex(s: string): string {
  return [...sha1(new TextEncoder().encode(s))].map((b) => b.toString(16).padStart(2, '0')).join('')
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return out
}

/** The n-th tab (cart id) of a visit. Deterministic: same inputs, same id, on any device. */
export function visitTabId(visitId: string, n: number): string {
  const bytes = sha1(new TextEncoder().encode(`tally-tab:${visitId}:${n}`)).slice(0, 16)
  if (isUuid(visitId)) {
    // Keep the visit's timestamp so tab ids still sort by time like other UUIDv7s.
    bytes.set(hexToBytes(visitId.replace(/-/g, '').slice(0, 12)), 0)
  }
  bytes[6] = 0x70 | ((bytes[6] as number) & 0x0f)
  bytes[8] = 0x80 | ((bytes[8] as number) & 0x3f)
  const h = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** How far a terminal walks the chain before giving up (a visit never has this many sales). */
export const MAX_TABS_PER_VISIT = 500
