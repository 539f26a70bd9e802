/**
 * Password hashing with scrypt (node:crypto): a random salt per password, parameters
 * stored beside the hash so they can be raised later without breaking old hashes, and a
 * timing-safe comparison. Format: `scrypt$N$r$p$saltB64$hashB64`.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto'

export const SCRYPT_N = 16_384
export const SCRYPT_R = 8
export const SCRYPT_P = 1
const KEY_LEN = 32
const SALT_LEN = 16

function scrypt(password: string, salt: Buffer, keyLen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password.normalize('NFKC'), salt, keyLen, { ...opts, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
  )
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LEN)
  const key = await scrypt(password, salt, KEY_LEN, { N: SCRYPT_N, r: SCRYPT_R, p: SCRYPT_P })
  return ['scrypt', SCRYPT_N, SCRYPT_R, SCRYPT_P, salt.toString('base64'), key.toString('base64')].join('$')
}

/** False for a wrong password and for a stored hash this code cannot read (never throws on input). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false
  const [, n, r, p, saltB64, hashB64] = parts as [string, string, string, string, string, string]
  const N = Number(n)
  const R = Number(r)
  const P = Number(p)
  if (![N, R, P].every((v) => Number.isInteger(v) && v > 0) || N > 1 << 20) return false
  const expected = Buffer.from(hashB64, 'base64')
  if (expected.length === 0) return false
  const key = await scrypt(password, Buffer.from(saltB64, 'base64'), expected.length, { N, r: R, p: P })
  return timingSafeEqual(key, expected)
}

/** A hash of a random password: login compares against it for unknown emails, so timing does not reveal which emails exist. */
let decoy: Promise<string> | null = null
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(16).toString('hex'))
  return decoy
}
