/**
 * Staff members and manager approvals (issue 16).
 *
 * A store's staff is published to its terminals in the roster document (root `staff`,
 * written by the server only) so a terminal can check a PIN with no network. What is
 * published is the PIN's hash, never the PIN: PBKDF2-SHA256 through WebCrypto (the one
 * slow KDF every browser and Node have built in), a random salt per member and the
 * iteration count stored beside the hash so it can be raised later.
 *
 * Trade-off, stated plainly: a 4 to 8 digit PIN has at most 10^8 values, so anyone who
 * holds the hash can try them all; PBKDF2 only makes that slower (at 100,000 iterations
 * a 4-digit PIN falls in minutes on one core, not in microseconds). A PIN is therefore
 * not a password: it is a "who is at the till" check, bounded by (1) publishing the
 * hashes only to terminals holding a valid token of the store (the relay's document
 * access rules), (2) a lockout on the terminal after PIN_MAX_FAILURES wrong PINs, and
 * (3) every approval travelling in the ticket and landing in the audit log, where the
 * owner sees who approved what. The cost is chosen so a phone checks all of a store's
 * managers in well under 300 ms (they are tried in parallel).
 */
import { z } from 'zod'
import { text } from './validate.ts'
import type { Approval } from './validate.ts'
export { ApprovalActions, approvalSchema, type Approval, type ApprovalAction } from './validate.ts'

export const StaffRole = { bartender: 'bartender', manager: 'manager' } as const
export type StaffRole = (typeof StaffRole)[keyof typeof StaffRole]

/** Iterations for new PIN hashes (stored per hash; older hashes keep their own count). */
export const PIN_ITERATIONS = 100_000
/** Bounds accepted from a published hash: a huge count would freeze the till. */
export const PIN_MIN_ITERATIONS = 10_000
export const PIN_MAX_ITERATIONS = 2_000_000
export const PIN_MIN_LENGTH = 4
export const PIN_MAX_LENGTH = 8
/** Wrong PINs in a row before the terminal stops taking PINs for PIN_LOCK_MS. */
export const PIN_MAX_FAILURES = 5
export const PIN_LOCK_MS = 5 * 60_000

const b64 = z.string().min(4).max(200).regex(/^[A-Za-z0-9+/]+={0,2}$/)
export const pinHashSchema = z.object({
  alg: z.literal('pbkdf2-sha256'),
  iterations: z.number().int().min(PIN_MIN_ITERATIONS).max(PIN_MAX_ITERATIONS),
  salt: b64,
  hash: b64,
})
export type PinHash = z.infer<typeof pinHashSchema>

const id = text(100, 1)

/** One member as published to terminals (roster `staff`, keyed by id). */
export const staffMemberSchema = z.object({
  id,
  name: text(100, 1),
  role: z.enum([StaffRole.bartender, StaffRole.manager]),
  pin: pinHashSchema,
  active: z.boolean().default(true),
})
export type StaffMember = z.infer<typeof staffMemberSchema>

/** Is this a well-formed PIN (digits only, PIN_MIN_LENGTH..PIN_MAX_LENGTH)? */
export function isPin(pin: string): boolean {
  return new RegExp(`^[0-9]{${PIN_MIN_LENGTH},${PIN_MAX_LENGTH}}$`).test(pin)
}

function toB64(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return btoa(s)
}
function fromB64(s: string): Uint8Array {
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0))
}

async function derive(pin: string, salt: Uint8Array, iterations: number, bytes: number): Promise<Uint8Array> {
  const subtle = globalThis.crypto.subtle
  const key = await subtle.importKey('raw', new TextEncoder().encode(pin), 'PBKDF2', false, ['deriveBits'])
  const bits = await subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: salt as BufferSource, iterations }, key, bytes * 8)
  return new Uint8Array(bits)
}

/** Hash a PIN with a fresh random salt (server side when a manager sets it; tests). */
export async function hashPin(pin: string, iterations: number = PIN_ITERATIONS): Promise<PinHash> {
  const salt = globalThis.crypto.getRandomValues(new Uint8Array(16))
  const hash = await derive(pin, salt, iterations, 32)
  return { alg: 'pbkdf2-sha256', iterations, salt: toB64(salt), hash: toB64(hash) }
}

/** Whether `pin` matches `h`; false (never a throw) for a hash this code cannot read. */
export async function verifyPin(pin: string, h: PinHash): Promise<boolean> {
  if (!isPin(pin) || h.alg !== 'pbkdf2-sha256' || h.iterations < PIN_MIN_ITERATIONS || h.iterations > PIN_MAX_ITERATIONS) return false
  let salt: Uint8Array
  let want: Uint8Array
  try {
    salt = fromB64(h.salt)
    want = fromB64(h.hash)
  } catch {
    return false
  }
  if (want.length < 16 || want.length > 64) return false
  const got = await derive(pin, salt, h.iterations, want.length)
  // Constant time over the length (the length is public).
  let diff = 0
  for (let i = 0; i < want.length; i++) diff |= (got[i] as number) ^ (want[i] as number)
  return diff === 0
}

/**
 * The active member whose PIN this is (optionally only managers), or null. Every
 * candidate is checked (in parallel) so the time does not say which one matched.
 */
export async function findStaffByPin(pin: string, staff: readonly StaffMember[], role?: StaffRole): Promise<StaffMember | null> {
  if (!isPin(pin)) return null
  const candidates = staff.filter((s) => s.active && (role === undefined || s.role === role))
  const hits = await Promise.all(candidates.map((s) => verifyPin(pin, s.pin)))
  return candidates.find((_, i) => hits[i]) ?? null
}

/** The cashier of a ticket as the terminal writes it. */
export interface CashierRef {
  id: string
  name: string
}

/**
 * A price override's approval names its cart line in a fixed form, `line:{lineId} …`, so
 * the projection knows which line's price a manager approved (it then does not judge that
 * line's price against the catalog; the approval is in the audit log instead).
 */
export function priceOverrideDetail(lineId: string, name: string, from: number, to: number): string {
  return `line:${lineId} ${name} ${from}->${to}`.slice(0, 500)
}
export function overriddenLines(approvals: readonly Approval[] | undefined): Set<string> {
  const out = new Set<string>()
  for (const a of approvals ?? []) {
    if (a.action !== 'price_override') continue
    const m = /^line:(\S+)/.exec(a.detail)
    if (m?.[1] !== undefined) out.add(m[1])
  }
  return out
}
