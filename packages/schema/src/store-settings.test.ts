import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { MAX_CENTS } from './limits.ts'
import {
  DEFAULT_SETTINGS_STRATEGIES,
  DEFAULT_STORE_SETTINGS,
  SETTINGS_ROOT,
  parseStoreSettings,
  readOfflinePolicy,
  readSettingsValue,
  readStoreSettings,
  settingsDiff,
  writeTerminalSettings,
} from './store-settings.ts'

const fieldsOf = (input: unknown): string[] => {
  const r = parseStoreSettings(input)
  return r.ok ? [] : r.issues.map((i) => i.field)
}

describe('store settings', () => {
  it('[SET1] empty settings are today\'s behaviour: default strategies, no offline limits, no discount approval, allowances off', () => {
    const r = parseStoreSettings({})
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.value).toEqual(DEFAULT_STORE_SETTINGS)
    expect(r.value.strategies).toEqual(DEFAULT_SETTINGS_STRATEGIES)
    expect(r.value.offlinePolicy).toMatchObject({ maxOfflineMinutes: null, maxSaleCents: null, maxUnsyncedCents: null })
    expect(r.value.discounts.maxWithoutApprovalPct).toBe(100)
    expect(r.value.allowances).toMatchObject({ enabled: false, scarce: [] })
  })

  it('[SET2] validation refuses what the columns and the projector would not take, naming each field', () => {
    expect(fieldsOf({ strategies: { oversold: 'coin_toss' } })).toEqual(['strategies.oversold'])
    expect(fieldsOf({ strategies: { nosuch_kind: 'manual' } })).toEqual(['strategies.nosuch_kind'])
    expect(fieldsOf({ offlinePolicy: { maxSaleCents: 12.5 } })).toEqual(['offlinePolicy.maxSaleCents'])
    expect(fieldsOf({ offlinePolicy: { maxSaleCents: MAX_CENTS + 1 } })).toEqual(['offlinePolicy.maxSaleCents'])
    expect(fieldsOf({ offlinePolicy: { maxUnsyncedCents: 0 } })).toEqual(['offlinePolicy.maxUnsyncedCents'])
    expect(fieldsOf({ offlinePolicy: { maxOfflineMinutes: 2 ** 31 } })).toEqual(['offlinePolicy.maxOfflineMinutes'])
    expect(fieldsOf({ offlinePolicy: { onMaxSale: 'shrug' } })).toEqual(['offlinePolicy.onMaxSale'])
    expect(fieldsOf({ discounts: { maxWithoutApprovalPct: 101 } })).toEqual(['discounts.maxWithoutApprovalPct'])
    expect(fieldsOf({ discounts: { maxWithoutApprovalPct: 12.345 } })).toEqual(['discounts.maxWithoutApprovalPct'])
    expect(fieldsOf({ allowances: { scarce: [{ productId: 'a' }, { productId: 'a' }] } })).toEqual(['allowances.scarce.1.productId'])
    expect(fieldsOf({ allowances: { scarce: [{ productId: 'a\u0000' }] } })).toEqual(['allowances.scarce.0.productId'])
    expect(fieldsOf({ allowances: { rule: 'lottery' } })).toEqual(['allowances.rule'])
    expect(fieldsOf({ allowances: { reservePct: -1 } })).toEqual(['allowances.reservePct'])
    expect(fieldsOf({ extra: true })).toEqual(['extra'])
    // Valid limits pass: 12.5 % is a real discount limit, null is "no limit".
    expect(fieldsOf({ discounts: { maxWithoutApprovalPct: 12.5 }, offlinePolicy: { maxSaleCents: 5000, maxOfflineMinutes: null, onMaxSale: 'block' } })).toEqual([])
  })

  it('[SET3] a stored value is read leniently: a bad section takes its defaults, the others stand', () => {
    const s = readSettingsValue({ strategies: { oversold: 'server_wins', price_changed: 42 }, offlinePolicy: { maxSaleCents: 'lots' }, discounts: { maxWithoutApprovalPct: 10 } })
    expect(s.strategies.oversold).toBe('server_wins')
    expect(s.strategies.price_changed).toBe(DEFAULT_SETTINGS_STRATEGIES.price_changed)
    expect(s.offlinePolicy).toEqual(DEFAULT_STORE_SETTINGS.offlinePolicy)
    expect(s.discounts.maxWithoutApprovalPct).toBe(10)
    expect(readSettingsValue('garbage')).toEqual(DEFAULT_STORE_SETTINGS)
  })

  it('[SET4] the terminal part round-trips through a catalog document, and a second write of the same settings changes nothing', () => {
    const r = parseStoreSettings({ offlinePolicy: { maxOfflineMinutes: 120, onMaxOffline: 'block' }, discounts: { maxWithoutApprovalPct: 15 }, allowances: { enabled: true, scarce: [{ productId: 'p1' }] } })
    if (!r.ok) throw new Error('valid')
    const doc = new Y.Doc()
    writeTerminalSettings(doc, r.value, 3)
    const replica = new Y.Doc()
    Y.applyUpdate(replica, Y.encodeStateAsUpdate(doc))
    expect(readStoreSettings(replica)).toEqual({ offlinePolicy: r.value.offlinePolicy, discounts: r.value.discounts, allowances: r.value.allowances, version: 3 })
    expect(readOfflinePolicy(replica).maxOfflineMinutes).toBe(120)
    let updates = 0
    doc.on('update', () => updates++)
    writeTerminalSettings(doc, r.value, 3)
    expect(updates).toBe(0)
    // Strategies stay on the server.
    expect([...doc.getMap(SETTINGS_ROOT).keys()].sort()).toEqual(['allowances', 'discounts', 'offlinePolicy', 'version'])
  })

  it('[SET4] a document without settings, or with a broken entry, reads as the defaults (version 0)', () => {
    const doc = new Y.Doc()
    expect(readStoreSettings(doc)).toEqual({ ...{ offlinePolicy: DEFAULT_STORE_SETTINGS.offlinePolicy, discounts: DEFAULT_STORE_SETTINGS.discounts, allowances: DEFAULT_STORE_SETTINGS.allowances }, version: 0 })
    doc.getMap(SETTINGS_ROOT).set('offlinePolicy', { maxSaleCents: -5 })
    expect(readOfflinePolicy(doc)).toEqual(DEFAULT_STORE_SETTINGS.offlinePolicy)
  })

  it('[SET5] the diff lists each changed leaf with its before and after', () => {
    const a = DEFAULT_STORE_SETTINGS
    const r = parseStoreSettings({ strategies: { oversold: 'server_wins' }, offlinePolicy: { maxSaleCents: 5000 }, allowances: { scarce: [{ productId: 'p1' }] } })
    if (!r.ok) throw new Error('valid')
    expect(settingsDiff(a, r.value)).toEqual([
      { path: 'allowances.scarce', before: [], after: [{ productId: 'p1' }] },
      { path: 'offlinePolicy.maxSaleCents', before: null, after: 5000 },
      { path: 'strategies.oversold', before: 'manual', after: 'server_wins' },
    ])
    expect(settingsDiff(a, a)).toEqual([])
  })
})
