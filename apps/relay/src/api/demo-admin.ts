/**
 * The demo store's admin, created by `npm start` with demo data (DEMO=1). No password is
 * known in advance: the first start generates one and returns it for the banner, once.
 * A later start leaves the account alone (its password may have been changed, or set by
 * `npm run user`), except one still on the fixed `demo1234` older versions created and
 * printed on every start: that password is public, so it is replaced by a generated one.
 */
import { Role } from '@tally/schema'
import type { Database } from '@tally/schema/db'
import { generatePassword, hashPassword, verifyPassword } from './password.ts'
import { findUser, replacePasswordHash, upsertUser } from './users.ts'

export const DEMO_ADMIN_EMAIL = 'admin@demo.local'
export const DEMO_STORE = 'demo'
/** What versions before issue 12 set and printed; never accepted again. */
export const LEGACY_DEMO_PASSWORD = 'demo1234'

export interface DemoAdmin {
  email: string
  store: string
  /** The generated password, when this call created or rotated the account; else null. */
  password: string | null
}

export async function ensureDemoAdmin(database: Database): Promise<DemoAdmin> {
  const existing = await findUser(database, DEMO_ADMIN_EMAIL)
  if (!existing) {
    const password = generatePassword()
    const r = await upsertUser(database, { email: DEMO_ADMIN_EMAIL, password, store: DEMO_STORE, role: Role.admin })
    return { email: DEMO_ADMIN_EMAIL, store: r.user.store, password: r.created ? password : null }
  }
  if (await verifyPassword(LEGACY_DEMO_PASSWORD, existing.passwordHash)) {
    const password = generatePassword()
    const rotated = await replacePasswordHash(database, existing.id, existing.passwordHash, await hashPassword(password))
    return { email: DEMO_ADMIN_EMAIL, store: existing.store, password: rotated ? password : null }
  }
  return { email: DEMO_ADMIN_EMAIL, store: existing.store, password: null }
}
