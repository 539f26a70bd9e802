/**
 * Staff of the store (issue 16): list, create, partial update (rename, change role, reset
 * PIN, deactivate or reactivate). Each change is audited (never with the PIN or its hash)
 * and publishes the roster, where the store's terminals find the active members' PIN
 * hashes to check a PIN offline. Admin only.
 *
 * PINs are unique among a store's active members: a PIN names who is at the till, so two
 * members sharing one would make every ticket of theirs ambiguous.
 */
import type { Hono } from 'hono'
import { and, asc, eq, ne } from 'drizzle-orm'
import { z } from 'zod'
import { findStaffByPin, hashPin, isPin, PIN_MAX_LENGTH, PIN_MIN_LENGTH, rosterDocName, storable, StaffRole, uuidv7, type StaffMember } from '@tally/schema'
import { tables } from '@tally/schema/db'
import { actorOf } from '../../auth.ts'
import { audit, type ApiContext, type Executor } from '../context.ts'
import { ADMIN_ROLES, allow } from '../guard.ts'
import { badRequest, body, claims, conflict, notFound, type ApiEnv } from '../http.ts'
import { publishRosterAs } from '../publishing.ts'

const pin = z.string().refine(isPin, { message: `a PIN is ${PIN_MIN_LENGTH} to ${PIN_MAX_LENGTH} digits` })
const fields = {
  name: storable(z.string().trim().min(1).max(100)),
  role: z.enum([StaffRole.bartender, StaffRole.manager]),
  pin,
  active: z.boolean(),
}
const createBody = z.object({ name: fields.name, role: fields.role.default(StaffRole.bartender), pin: fields.pin }).strict()
const patchBody = z.object(fields).partial().strict()

type StaffRow = typeof tables.staff.$inferSelect

/** What the back office sees: never the hash. */
const view = (m: StaffRow) => ({ id: m.id, name: m.name, role: m.role, active: m.active, createdAt: m.createdAt.toISOString(), updatedAt: m.updatedAt.toISOString() })

const asMember = (m: StaffRow): StaffMember => ({ id: m.id, name: m.name, role: m.role === StaffRole.manager ? 'manager' : 'bartender', pin: m.pinHash, active: m.active })

/** Refuse a PIN another active member of the store already has. */
async function assertPinFree(ex: Executor, store: string, candidate: string, exceptId: string | null): Promise<void> {
  const others = await ex
    .select()
    .from(tables.staff)
    .where(and(eq(tables.staff.store, store), eq(tables.staff.active, true), ...(exceptId ? [ne(tables.staff.id, exceptId)] : [])))
  if ((await findStaffByPin(candidate, others.map(asMember))) !== null) {
    throw conflict('another active member of the store already has this PIN; choose another', [{ field: 'pin', path: ['pin'], message: 'already in use' }])
  }
}

export function staffRoutes(api: Hono<ApiEnv>, ctx: ApiContext): void {
  const { db } = ctx.database

  api.get('/staff', allow(ADMIN_ROLES), async (c) => {
    const list = await db.select().from(tables.staff).where(eq(tables.staff.store, claims(c).store)).orderBy(asc(tables.staff.name))
    return c.json(list.map(view))
  })

  api.post('/staff', allow(ADMIN_ROLES), async (c) => {
    const who = claims(c)
    const b = await body(c, createBody)
    const id = uuidv7()
    const pinHash = await hashPin(b.pin)
    const row = await db.transaction(async (tx) => {
      await assertPinFree(tx, who.store, b.pin, null)
      const [m] = await tx.insert(tables.staff).values({ id, store: who.store, name: b.name, role: b.role, pinHash, active: true }).returning()
      await audit(tx, { store: who.store, actor: actorOf(who), kind: 'master-data', code: 'staff.create', doc: rosterDocName(who.store), detail: { staffId: id, after: { name: b.name, role: b.role, active: true } } })
      return m as StaffRow
    })
    const published = await publishRosterAs(ctx, who)
    return c.json({ ...view(row), publishedSeq: published.seq }, 201)
  })

  api.patch('/staff/:id', allow(ADMIN_ROLES), async (c) => {
    const who = claims(c)
    const b = await body(c, patchBody)
    if (Object.keys(b).length === 0) throw badRequest(`nothing to change: send any of ${Object.keys(fields).join(', ')}`)
    const id = c.req.param('id')
    const pinHash = b.pin === undefined ? undefined : await hashPin(b.pin)
    const row = await db.transaction(async (tx) => {
      const [before] = await tx.select().from(tables.staff).where(and(eq(tables.staff.store, who.store), eq(tables.staff.id, id)))
      if (!before) throw notFound(`staff member ${id}`)
      const changed: Partial<Pick<StaffRow, 'name' | 'role' | 'active' | 'pinHash'>> = {}
      if (b.name !== undefined && b.name !== before.name) changed.name = b.name
      if (b.role !== undefined && b.role !== before.role) changed.role = b.role
      if (b.active !== undefined && b.active !== before.active) changed.active = b.active
      if (pinHash !== undefined) changed.pinHash = pinHash
      if (Object.keys(changed).length === 0) return before
      // Coming back needs a new PIN: salted hashes cannot be compared, so only a PIN typed
      // now can be checked against the other members' (and an old PIN stays retired).
      if (changed.active === true && b.pin === undefined) {
        throw badRequest('reactivating a member needs a new PIN (send pin with active: true)', [{ field: 'pin', path: ['pin'], message: 'required when reactivating' }])
      }
      if ((changed.active ?? before.active) && b.pin !== undefined) await assertPinFree(tx, who.store, b.pin, id)
      const [after] = await tx.update(tables.staff).set({ ...changed, updatedAt: new Date() }).where(eq(tables.staff.id, id)).returning()
      const shown = (m: Partial<StaffRow>) => {
        const { pinHash: p, ...rest } = m
        return p === undefined ? rest : { ...rest, pin: 'reset' }
      }
      const was = { ...(changed.name !== undefined ? { name: before.name } : {}), ...(changed.role !== undefined ? { role: before.role } : {}), ...(changed.active !== undefined ? { active: before.active } : {}) }
      await audit(tx, {
        store: who.store,
        actor: actorOf(who),
        kind: 'master-data',
        code: changed.active === false ? 'staff.deactivate' : pinHash !== undefined && Object.keys(changed).length === 1 ? 'staff.pin-reset' : 'staff.update',
        doc: rosterDocName(who.store),
        detail: { staffId: id, before: was, after: shown(changed) },
      })
      return after as StaffRow
    })
    const published = await publishRosterAs(ctx, who)
    return c.json({ ...view(row), publishedSeq: published.seq })
  })
}
