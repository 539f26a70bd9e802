/**
 * The store's settings (issue 16): conflict strategies per kind, offline policy, discount
 * limit, stock allowances. GET answers them with their version; PUT changes them. A PUT
 * body names any part to change (`{ offlinePolicy: { maxSaleCents: 5000 } }`): objects are
 * merged into the current settings, values and lists replace, and the result must
 * validate as a whole. With `version`, the save is refused (409) if someone saved since.
 * Every change is an audit row with a before/after diff; every refusal too, naming the
 * fields. The terminal part is then published into the store's catalog document.
 */
import type { Hono } from 'hono'
import { TransactionRollbackError, and, eq, inArray } from 'drizzle-orm'
import { ErrorCode, catalogDocName, parseStoreSettings, settingsDiff, type StoreSettings } from '@tally/schema'
import { SettingsVersionConflict, saveStoreSettings, tables, type StoredSettings } from '@tally/schema/db'
import { actorOf, type Claims } from '../../auth.ts'
import { audit, type ApiContext } from '../context.ts'
import { ADMIN_ROLES, SYNC_ROLES, allow } from '../guard.ts'
import { ApiError, claims, conflict, type ApiEnv, type ApiCtx, type FieldError } from '../http.ts'
import { publishSettingsAs } from '../publishing.ts'

export function settingsView(s: StoredSettings) {
  return { store: s.store, version: s.version, updatedAt: s.updatedAt?.toISOString() ?? null, updatedBy: s.updatedBy, settings: s.settings }
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)

/** `patch` onto `base`: objects merge key by key, anything else replaces. */
function merge(base: unknown, patch: unknown): unknown {
  if (!isObj(base) || !isObj(patch)) return patch
  const out: Record<string, unknown> = { ...base }
  for (const [k, v] of Object.entries(patch)) out[k] = merge(base[k], v)
  return out
}

/** A 400 naming every field, and an audit row saying what was refused (the generic refusal row is skipped). */
async function refuse(ctx: ApiContext, who: Claims, message: string, details: FieldError[], sent: unknown): Promise<never> {
  await audit(ctx.database.db, {
    store: who.store,
    actor: actorOf(who),
    kind: 'settings',
    code: 'settings.refused',
    doc: catalogDocName(who.store),
    detail: { issues: details.slice(0, 50), sentKeys: isObj(sent) ? Object.keys(sent).slice(0, 20) : [] },
  })
  throw new ApiError(ErrorCode.badRequest, message, 400, details).markAudited()
}

async function readJson(c: ApiCtx): Promise<unknown> {
  if (!/^application\/json\s*(?:;|$)/i.test(c.req.header('content-type') ?? '')) {
    throw new ApiError(ErrorCode.unsupportedMediaType, 'the body must be JSON sent with content-type: application/json', 415)
  }
  try {
    return await c.req.json()
  } catch {
    throw new ApiError(ErrorCode.badRequest, 'the body must be JSON', 400)
  }
}

/** Scarce products must be this store's, and count their stock (an allowance is a share of it). */
async function productProblems(ctx: ApiContext, store: string, s: StoreSettings): Promise<FieldError[]> {
  const ids = s.allowances.scarce.map((p) => p.productId)
  if (ids.length === 0) return []
  const rows = await ctx.database.db
    .select({ id: tables.products.id, trackStock: tables.products.trackStock })
    .from(tables.products)
    .where(and(eq(tables.products.store, store), inArray(tables.products.id, ids)))
  const found = new Map(rows.map((r) => [r.id, r.trackStock]))
  const out: FieldError[] = []
  ids.forEach((id, i) => {
    const path = ['allowances', 'scarce', i, 'productId']
    const tracked = found.get(id)
    if (tracked === undefined) out.push({ field: path.join('.'), path, message: `no product ${id} in this store` })
    else if (!tracked) out.push({ field: path.join('.'), path, message: `product ${id} does not track stock; an allowance is a share of stock` })
  })
  return out
}

export function settingsRoutes(api: Hono<ApiEnv>, ctx: ApiContext): void {
  // Terminals may read them too (the catalog document has the part they need offline).
  api.get('/settings', allow(SYNC_ROLES), async (c) => {
    const { store } = claims(c)
    return c.json(settingsView(await ctx.settings.get(store)))
  })

  api.put('/settings', allow(ADMIN_ROLES), async (c) => {
    const who = claims(c)
    const raw = await readJson(c)
    if (!isObj(raw)) return refuse(ctx, who, 'invalid settings: the body must be an object', [{ field: '(root)', path: [], message: 'expected an object' }], raw)
    const { version, ...patch } = raw
    if (version !== undefined && !(Number.isSafeInteger(version) && (version as number) >= 0)) {
      return refuse(ctx, who, 'invalid settings: version must be the whole number GET answered', [{ field: 'version', path: ['version'], message: 'expected a whole number >= 0' }], raw)
    }
    // Read fresh, not from the cache: the merge must start from what is stored.
    ctx.settings.invalidate(who.store)
    const current = await ctx.settings.get(who.store)
    const parsed = parseStoreSettings(merge(current.settings, patch))
    if (!parsed.ok) return refuse(ctx, who, `invalid settings: ${parsed.issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, parsed.issues, raw)
    const problems = await productProblems(ctx, who.store, parsed.value)
    if (problems.length) return refuse(ctx, who, `invalid settings: ${problems.map((i) => `${i.field}: ${i.message}`).join('; ')}`, problems, raw)

    const actor = actorOf(who)
    let saved: { before: StoredSettings; after: StoredSettings } | null
    try {
      saved = await ctx.database.db.transaction(async (tx) => {
        const r = await saveStoreSettings(tx, { store: who.store, settings: parsed.value, by: actor, schema: ctx.database.schema, expectedVersion: version as number | undefined })
        const changes = settingsDiff(r.before.settings, r.after.settings)
        if (changes.length === 0) {
          // Nothing changed: no new version, no audit row (roll back the version bump).
          tx.rollback()
        }
        await audit(tx, {
          store: who.store,
          actor,
          kind: 'settings',
          code: 'settings.update',
          doc: catalogDocName(who.store),
          detail: { version: r.after.version, changes, before: r.before.settings, after: r.after.settings },
        })
        return r
      })
    } catch (e) {
      if (e instanceof SettingsVersionConflict) throw conflict(e.message, { expected: e.expected, actual: e.actual })
      if (isRollback(e)) saved = null
      else throw e
    } finally {
      // Whatever happened, the next read is the row's (another relay hears the NOTIFY).
      ctx.settings.invalidate(who.store)
    }
    const now = saved ? saved.after : current
    const published = await publishSettingsAs(ctx, who, now)
    return c.json({ ...settingsView(now), changed: saved !== null, publishedSeq: published.seq })
  })
}

/** drizzle's tx.rollback() throws a TransactionRollbackError (both drivers). */
const isRollback = (e: unknown): boolean => e instanceof TransactionRollbackError
