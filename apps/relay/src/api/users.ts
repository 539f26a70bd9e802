/**
 * Back-office users: created by `npm run user` (and the demo admin at `npm start`),
 * looked up at login. Emails are stored lower-cased, so login is case-insensitive.
 */
import { and, eq } from 'drizzle-orm'
import { Role, isStoreId, uuidv7 } from '@tally/schema'
import { tables, type Database } from '@tally/schema/db'
import { hashPassword } from './password.ts'

export const MIN_PASSWORD_LENGTH = 8

export interface User {
  id: string
  email: string
  role: Role
  store: string
}

export type UserInput = { email: string; password: string; store: string; role?: Role }

export const normalizeEmail = (email: string): string => email.trim().toLowerCase()

export function checkUserInput(u: UserInput): { ok: true } | { ok: false; error: string } {
  if (!/^[^\s@]+@[^\s@]+$/.test(normalizeEmail(u.email))) return { ok: false, error: 'email is not an email address' }
  if (u.password.length < MIN_PASSWORD_LENGTH) return { ok: false, error: `password needs at least ${MIN_PASSWORD_LENGTH} characters` }
  if (!isStoreId(u.store)) return { ok: false, error: 'store must be lowercase letters, digits, - or _' }
  if (u.role !== undefined && !Object.values(Role).includes(u.role)) return { ok: false, error: `role must be one of ${Object.values(Role).join(', ')}` }
  return { ok: true }
}

export async function findUser(database: Database, email: string): Promise<(User & { passwordHash: string }) | undefined> {
  const [row] = await database.db.select().from(tables.users).where(eq(tables.users.email, normalizeEmail(email)))
  return row ? { id: row.id, email: row.email, role: row.role as Role, store: row.store, passwordHash: row.passwordHash } : undefined
}

/**
 * Create a user, or with `update: true` reset an existing one's password, role and store.
 * Without `update`, an existing email is left alone (idempotent demo seeding).
 */
export async function upsertUser(
  database: Database,
  input: UserInput,
  opts: { update?: boolean } = {},
): Promise<{ user: User; created: boolean; updated: boolean }> {
  const checked = checkUserInput(input)
  if (!checked.ok) throw new Error(checked.error)
  const email = normalizeEmail(input.email)
  const role = input.role ?? Role.admin
  const existing = await findUser(database, email)
  if (existing && !opts.update) return { user: strip(existing), created: false, updated: false }
  const passwordHash = await hashPassword(input.password)
  if (existing) {
    await database.db.update(tables.users).set({ passwordHash, role, store: input.store }).where(eq(tables.users.id, existing.id))
    return { user: { id: existing.id, email, role, store: input.store }, created: false, updated: true }
  }
  const id = uuidv7()
  const inserted = await database.db.insert(tables.users).values({ id, email, passwordHash, role, store: input.store }).onConflictDoNothing().returning({ id: tables.users.id })
  if (inserted.length === 0) {
    // Created concurrently by someone else: theirs stands.
    const now = await findUser(database, email)
    if (!now) throw new Error(`user ${email} vanished`)
    return { user: strip(now), created: false, updated: false }
  }
  return { user: { id, email, role, store: input.store }, created: true, updated: false }
}

/**
 * Swap a user's hash only if it is still `oldHash` (a password changed meanwhile by
 * `npm run user --update` wins). True when it was replaced.
 */
export async function replacePasswordHash(database: Database, id: string, oldHash: string, newHash: string): Promise<boolean> {
  const r = await database.db
    .update(tables.users)
    .set({ passwordHash: newHash })
    .where(and(eq(tables.users.id, id), eq(tables.users.passwordHash, oldHash)))
    .returning({ id: tables.users.id })
  return r.length > 0
}

function strip(u: User & { passwordHash: string }): User {
  return { id: u.id, email: u.email, role: u.role, store: u.store }
}
