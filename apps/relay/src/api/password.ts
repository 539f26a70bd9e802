/**
 * Password hashing with scrypt (node:crypto): a random salt per password, parameters
 * stored beside the hash so they can be raised later without breaking old hashes, and a
 * timing-safe comparison. Format: `scrypt$N$r$p$saltB64$hashB64`.
 *
 * Cost: N=2^17, r=8, p=1 (OWASP's scrypt minimum): 128 MiB and about half a second of
 * one core per hash here. That memory is why hashes run two at a time behind a bounded
 * queue: twenty logins at once must not take 2.5 GiB, and a flood of them is refused
 * (`HashQueueFull`) rather than queued without end.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto'

export const SCRYPT_N = 131_072
export const SCRYPT_R = 8
export const SCRYPT_P = 1
const KEY_LEN = 32
const SALT_LEN = 16
/** Largest cost accepted from a stored hash (a larger one would be a planted memory bomb). */
const MAX_N_TIMES_R = (1 << 20) * 8
export const HASH_SLOTS = 2
export const HASH_QUEUE_MAX = 64

export interface ScryptCost {
  N: number
  r: number
  p: number
}
export const CURRENT_COST: ScryptCost = Object.freeze({ N: SCRYPT_N, r: SCRYPT_R, p: SCRYPT_P })

/** Too many hashes waiting: the caller answers 503 with Retry-After. */
export class HashQueueFull extends Error {
  override readonly name = 'HashQueueFull'
}

let running = 0
const waiting: Array<() => void> = []

async function inSlot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= HASH_SLOTS) {
    if (waiting.length >= HASH_QUEUE_MAX) throw new HashQueueFull('too many password checks at once')
    await new Promise<void>((resolve) => waiting.push(resolve))
  } else {
    running++
  }
  try {
    return await fn()
  } finally {
    // Hand the slot straight to the next waiter (running stays counted for it).
    const next = waiting.shift()
    if (next) next()
    else running--
  }
}

function scrypt(password: string, salt: Buffer, keyLen: number, cost: ScryptCost): Promise<Buffer> {
  const opts: ScryptOptions = { N: cost.N, r: cost.r, p: cost.p, maxmem: 256 * cost.N * cost.r + (1 << 20) }
  return inSlot(
    () => new Promise<Buffer>((resolve, reject) => scryptCb(password.normalize('NFKC'), salt, keyLen, opts, (err, key) => (err ? reject(err) : resolve(key)))),
  )
}

export async function hashPassword(password: string, cost: ScryptCost = CURRENT_COST): Promise<string> {
  const salt = randomBytes(SALT_LEN)
  const key = await scrypt(password, salt, KEY_LEN, cost)
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64'), key.toString('base64')].join('$')
}

function parse(stored: string): { cost: ScryptCost; salt: Buffer; hash: Buffer } | null {
  const parts = stored.split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null
  const [, n, r, p, saltB64, hashB64] = parts as [string, string, string, string, string, string]
  const cost = { N: Number(n), r: Number(r), p: Number(p) }
  if (![cost.N, cost.r, cost.p].every((v) => Number.isInteger(v) && v > 0) || cost.N * cost.r > MAX_N_TIMES_R || cost.p > 16) return null
  const hash = Buffer.from(hashB64, 'base64')
  if (hash.length === 0) return null
  return { cost, salt: Buffer.from(saltB64, 'base64'), hash }
}

/** False for a wrong password and for a stored hash this code cannot read (never throws on input). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const h = parse(stored)
  if (!h) return false
  const key = await scrypt(password, h.salt, h.hash.length, h.cost)
  return timingSafeEqual(key, h.hash)
}

/** A readable hash made with less than today's cost: rehash it at the next good login. */
export function needsRehash(stored: string): boolean {
  const h = parse(stored)
  return h !== null && (h.cost.N < SCRYPT_N || h.cost.r < SCRYPT_R || h.cost.p < SCRYPT_P)
}

/** A hash of a random password: login compares against it for unknown emails, so timing does not reveal which emails exist. */
let decoy: Promise<string> | null = null
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(16).toString('hex')).catch((err: unknown) => {
    decoy = null
    throw err
  })
  return decoy
}

/** A password for a generated account (the demo admin): 18 random bytes, 24 url-safe characters. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url')
}
