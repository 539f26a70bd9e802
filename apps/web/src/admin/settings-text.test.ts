/** Settings changes in the audit log read as sentences, in both languages. */
import { beforeAll, describe, expect, it } from 'vitest'
import i18next, { type i18n as I18n } from 'i18next'
import { SETTINGS_CONFLICT_KINDS } from '@tally/schema'
import { auditText } from './audit-text.ts'
import { en } from './i18n/en.ts'
import { es } from './i18n/es.ts'
import type { T } from './labels.ts'
import type { AuditRow } from './types.ts'

const nb = (s: string) => s.replace(/\s/g, ' ')
const PRODUCT = '0192f0c4-0000-7000-8000-00000000c01a'
const names = { products: new Map([[PRODUCT, 'Gin Mare']]) }
const row = (r: Partial<AuditRow>): AuditRow => ({ id: 1, at: '2026-12-01T22:14:00Z', actor: 'admin:ana@bar.es', kind: 'settings', code: null, doc: null, detail: null, ...r })

let inst: I18n
const tr = (lng: 'es' | 'en'): T => inst.getFixedT(lng, 'admin') as unknown as T

beforeAll(async () => {
  inst = i18next.createInstance()
  await inst.init({ resources: { es: { admin: es }, en: { admin: en } }, lng: 'es', ns: ['admin'], defaultNS: 'admin', interpolation: { escapeValue: false } })
})

describe('settings audit sentences', () => {
  it('[SET17] a saved change reads as each setting with its old and new value, money in the locale, products by name, strategies as what happens', () => {
    const saved = row({
      code: 'settings.update',
      detail: {
        version: 3,
        changes: [
          { path: 'allowances.scarce', before: [], after: [{ productId: PRODUCT }] },
          { path: 'offlinePolicy.maxSaleCents', before: null, after: 15000 },
          { path: 'offlinePolicy.onMaxSale', before: 'approval', after: 'block' },
          { path: 'strategies.inactive_product', before: 'manual', after: 'server_wins' },
        ],
      },
    })
    expect(nb(auditText(saved, tr('en'), 'en', names))).toBe(
      'Settings saved (version 3): Scarce products: — → Gin Mare · Largest offline sale: no limit → €150.00 · Past the largest sale: Ask for a manager → Stop the sale · Inactive product: Ask a person → Refuse the sale',
    )
    const es3 = nb(auditText(saved, tr('es'), 'es', names))
    expect(es3).toContain('Ajustes guardados (versión 3)')
    expect(es3).toContain('Venta máxima sin conexión: sin límite → 150,00 €')
    expect(es3).not.toMatch(/[{}]|15000|server_wins/)
    const refused = row({ code: 'settings.refused', detail: { issues: [{ field: 'offlinePolicy.maxSaleCents', message: 'expected int' }] } })
    expect(auditText(refused, tr('en'), 'en')).toBe('Settings refused: offlinePolicy.maxSaleCents (expected int)')
  })

  it('[SET17] every conflict kind a setting can name has a label in both languages, and the settings words exist in both', () => {
    for (const lang of [en, es]) for (const k of SETTINGS_CONFLICT_KINDS) expect(Object.keys(lang.conflicts.kind)).toContain(k)
    const keys = (o: object, p = ''): string[] => Object.entries(o).flatMap(([k, v]) => (v !== null && typeof v === 'object' ? keys(v as object, `${p}${k}.`) : [`${p}${k}`]))
    expect(keys(es.settings).sort()).toEqual(keys(en.settings).sort())
  })
})
