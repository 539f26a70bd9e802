/**
 * Per-store settings (issue 16): conflict strategies per kind, the offline policy, the
 * discount limit and stock allowances. One zod schema defines and validates them for the
 * REST layer, the projector (which reads the row) and the terminal (which reads the part
 * published in the store's catalog document). Defaults are the behaviour before settings
 * existed: the same strategies, no offline limits, no approval for a discount, no
 * allowances.
 *
 * This module is browser-safe (no Drizzle): the database side is db/store-settings.ts.
 */
import type * as Y from 'yjs'
import { z } from 'zod'
import { MAX_CENTS, isStorableText } from './limits.ts'

/**
 * Conflict kinds a strategy can be set for. The projector defines the same list
 * (@tally/projections strategies.ts, which this package cannot import: imports go one
 * way); a test there proves the two lists are equal.
 */
export const SETTINGS_CONFLICT_KINDS = [
  'oversold',
  'visit_closed',
  'unknown_product',
  'inactive_product',
  'price_changed',
  'unknown_price',
  'totals_mismatch',
  'duplicate',
  'double_checkout',
  'resend_changed',
] as const
export type SettingsConflictKind = (typeof SETTINGS_CONFLICT_KINDS)[number]

export const SETTINGS_STRATEGIES = ['last_write', 'server_wins', 'terminal_wins', 'merge', 'manual'] as const
export type SettingsStrategy = (typeof SETTINGS_STRATEGIES)[number]

/** What a limit does when a sale would pass it. */
export const PolicyAction = { warn: 'warn', approval: 'approval', block: 'block' } as const
export type PolicyAction = (typeof PolicyAction)[keyof typeof PolicyAction]

/** How a scarce product's available stock is shared among the store's terminals. */
export const AllowanceRule = { equal: 'equal', byRecentSales: 'by_recent_sales' } as const
export type AllowanceRule = (typeof AllowanceRule)[keyof typeof AllowanceRule]

/** The projector's defaults (DEFAULT_STRATEGIES); equal, as a test proves. */
export const DEFAULT_SETTINGS_STRATEGIES: Readonly<Record<SettingsConflictKind, SettingsStrategy>> = Object.freeze({
  oversold: 'manual',
  visit_closed: 'manual',
  unknown_product: 'manual',
  inactive_product: 'manual',
  price_changed: 'terminal_wins',
  unknown_price: 'manual',
  totals_mismatch: 'manual',
  duplicate: 'manual',
  double_checkout: 'manual',
  resend_changed: 'manual',
})

/** A year: a longer offline limit is no limit (send null). */
export const MAX_OFFLINE_MINUTES = 525_600
/** Scarce products per store; each costs a counter per terminal. */
export const MAX_SCARCE_PRODUCTS = 200

const action = z.enum([PolicyAction.warn, PolicyAction.approval, PolicyAction.block])
const strategy = z.enum(SETTINGS_STRATEGIES)
/** Money limits are integer cents inside the money columns' bound; null = no limit. */
const centsLimit = z.number().int().min(1).max(MAX_CENTS).nullable()
/** 0..100 with at most two decimals (12.5 % is a real discount limit). */
const percent = z
  .number()
  .min(0)
  .max(100)
  .refine((v) => Math.abs(v * 100 - Math.round(v * 100)) < 1e-9, { message: 'at most two decimals' })
const productId = z
  .string()
  .min(1)
  .max(100)
  .refine(isStorableText, { message: 'text with a NUL or a lone surrogate cannot be stored' })

const strategiesSchema = z
  .object(Object.fromEntries(SETTINGS_CONFLICT_KINDS.map((k) => [k, strategy.default(DEFAULT_SETTINGS_STRATEGIES[k])])) as Record<SettingsConflictKind, z.ZodDefault<typeof strategy>>)
  .strict()

export const offlinePolicySchema = z
  .object({
    /** Minutes since the last sync after which the terminal stops selling freely. */
    maxOfflineMinutes: z.number().int().min(1).max(MAX_OFFLINE_MINUTES).nullable().default(null),
    onMaxOffline: action.default(PolicyAction.approval),
    /** Value of one sale made while offline, in cents. */
    maxSaleCents: centsLimit.default(null),
    onMaxSale: action.default(PolicyAction.approval),
    /** Total value of the terminal's sales the server has not acknowledged, in cents. */
    maxUnsyncedCents: centsLimit.default(null),
    onMaxUnsynced: action.default(PolicyAction.approval),
  })
  .strict()

export const discountSettingsSchema = z
  .object({
    /** A discount above this percentage of the line or ticket needs a manager's approval. */
    maxWithoutApprovalPct: percent.default(100),
  })
  .strict()

export const allowanceSettingsSchema = z
  .object({
    enabled: z.boolean().default(false),
    scarce: z
      .array(z.object({ productId }).strict())
      .max(MAX_SCARCE_PRODUCTS)
      .default([])
      .superRefine((list, c) => {
        const seen = new Set<string>()
        list.forEach((p, i) => {
          if (seen.has(p.productId)) c.addIssue({ code: 'custom', path: [i, 'productId'], message: `product ${p.productId} is listed twice` })
          seen.add(p.productId)
        })
      }),
    rule: z.enum([AllowanceRule.equal, AllowanceRule.byRecentSales]).default(AllowanceRule.equal),
    /** Share of the available stock the server keeps back from every terminal's allowance (integer %). */
    reservePct: z.number().int().min(0).max(100).default(0),
    onExceeded: action.default(PolicyAction.approval),
  })
  .strict()

export const storeSettingsSchema = z
  .object({
    strategies: strategiesSchema.default(() => strategiesSchema.parse({})),
    offlinePolicy: offlinePolicySchema.default(() => offlinePolicySchema.parse({})),
    discounts: discountSettingsSchema.default(() => discountSettingsSchema.parse({})),
    allowances: allowanceSettingsSchema.default(() => allowanceSettingsSchema.parse({})),
  })
  .strict()

export type StoreSettings = z.output<typeof storeSettingsSchema>
/** What a client may send: any part may be left out (it takes its default). */
export type StoreSettingsInput = z.input<typeof storeSettingsSchema>
export type OfflinePolicy = StoreSettings['offlinePolicy']
export type DiscountSettings = StoreSettings['discounts']
export type AllowanceSettings = StoreSettings['allowances']
export type SettingsStrategies = StoreSettings['strategies']

export const DEFAULT_STORE_SETTINGS: StoreSettings = Object.freeze(storeSettingsSchema.parse({}))

export type SettingsIssue = { field: string; path: Array<string | number>; message: string }
export type SettingsResult = { ok: true; value: StoreSettings } | { ok: false; issues: SettingsIssue[] }

/** Validate settings as a client sends them; every issue names its field (`offlinePolicy.maxSaleCents`). */
export function parseStoreSettings(input: unknown): SettingsResult {
  const r = storeSettingsSchema.safeParse(input)
  if (r.success) return { ok: true, value: r.data }
  // One issue a field (zod may say "not safe" and "too big" of one number).
  const byField = new Map<string, SettingsIssue>()
  for (const i of issuesOf(r.error)) {
    const had = byField.get(i.field)
    byField.set(i.field, had ? { ...had, message: `${had.message}; ${i.message}` } : i)
  }
  return { ok: false, issues: [...byField.values()] }
}

function issuesOf(error: z.ZodError): SettingsIssue[] {
  return error.issues.flatMap((i) => {
    const at = i.path.map((p) => (typeof p === 'number' ? p : String(p)))
    // An unknown key is named as the field it is (`offlinePolicy.maxSale`), one issue each.
    const keys = i.code === 'unrecognized_keys' ? i.keys : [null]
    return keys.map((k) => {
      const path = k === null ? at : [...at, k]
      return { field: path.join('.') || '(root)', path, message: k === null ? i.message : `unknown setting ${path.join('.')}` }
    })
  })
}

/**
 * Settings as stored (a row or a document), read leniently: a section that does not
 * validate (written by an older or newer version) takes its defaults, the others stand.
 * Never throws.
 */
export function readSettingsValue(raw: unknown): StoreSettings {
  const o = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {}
  const part = <T>(schema: z.ZodType<T>, v: unknown, fallback: T): T => {
    const r = schema.safeParse(v ?? {})
    return r.success ? r.data : fallback
  }
  // Strategies kind by kind: one unknown strategy name does not reset the others.
  const s = o.strategies !== null && typeof o.strategies === 'object' ? (o.strategies as Record<string, unknown>) : {}
  const strategies = Object.fromEntries(
    SETTINGS_CONFLICT_KINDS.map((k) => {
      const v = s[k]
      return [k, typeof v === 'string' && (SETTINGS_STRATEGIES as readonly string[]).includes(v) ? v : DEFAULT_SETTINGS_STRATEGIES[k]]
    }),
  ) as SettingsStrategies
  return {
    strategies,
    offlinePolicy: part(offlinePolicySchema, o.offlinePolicy, DEFAULT_STORE_SETTINGS.offlinePolicy),
    discounts: part(discountSettingsSchema, o.discounts, DEFAULT_STORE_SETTINGS.discounts),
    allowances: part(allowanceSettingsSchema, o.allowances, DEFAULT_STORE_SETTINGS.allowances),
  }
}

/** Each changed leaf as `{ path, before, after }`, for the audit row and its sentence. */
export function settingsDiff(before: StoreSettings, after: StoreSettings): Array<{ path: string; before: unknown; after: unknown }> {
  const out: Array<{ path: string; before: unknown; after: unknown }> = []
  const walk = (a: unknown, b: unknown, path: string) => {
    const isObj = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v)
    if (isObj(a) && isObj(b)) {
      const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)])
      for (const k of [...keys].sort()) walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k)
      return
    }
    // Lists (scarce products) are compared whole: the sentence names what was added and removed.
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path, before: a ?? null, after: b ?? null })
  }
  walk(before, after, '')
  return out
}

// ---- published to terminals ------------------------------------------------------------

/**
 * The catalog document's root holding what a terminal needs offline: `offlinePolicy`,
 * `discounts`, `allowances` (one plain value each) and `version` (the settings row's).
 * Strategies stay on the server: they judge sales after the fact.
 */
export const SETTINGS_ROOT = 'settings'
export const PUBLISHED_SETTINGS_KEYS = ['offlinePolicy', 'discounts', 'allowances'] as const

export interface TerminalSettings {
  offlinePolicy: OfflinePolicy
  discounts: DiscountSettings
  allowances: AllowanceSettings
  /** Version of the settings row published; 0 when the store's settings were never published. */
  version: number
}

/** Write the terminal part of `settings` into a catalog document, touching only what differs. */
export function writeTerminalSettings(doc: Y.Doc, settings: StoreSettings, version: number): void {
  const map = doc.getMap<unknown>(SETTINGS_ROOT)
  doc.transact(() => {
    for (const k of PUBLISHED_SETTINGS_KEYS) {
      if (JSON.stringify(map.get(k)) !== JSON.stringify(settings[k])) map.set(k, structuredClone(settings[k]))
    }
    if (map.get('version') !== version) map.set('version', version)
  })
}

/** What the store's catalog document says; defaults for anything absent or invalid (SCH3). */
export function readStoreSettings(doc: Y.Doc): TerminalSettings {
  const map = doc.getMap<unknown>(SETTINGS_ROOT)
  const s = readSettingsValue({ offlinePolicy: map.get('offlinePolicy'), discounts: map.get('discounts'), allowances: map.get('allowances') })
  const v = map.get('version')
  return { offlinePolicy: s.offlinePolicy, discounts: s.discounts, allowances: s.allowances, version: Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : 0 }
}

export function readOfflinePolicy(doc: Y.Doc): OfflinePolicy {
  return readStoreSettings(doc).offlinePolicy
}
