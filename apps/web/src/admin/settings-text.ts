/**
 * Settings audit rows as sentences: "Settings saved (version 3): Max value of one offline
 * sale no limit → 150,00 € · Inactive product: Ask a person → Refuse the sale".
 */
import { kindName } from './conflict-kinds.ts'
import { formatMoney } from './format.ts'
import type { Names, T } from './labels.ts'

const RECORD_ONLY = new Set(['oversold', 'duplicate', 'double_checkout'])

const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {})

function label(path: string, t: T): string {
  const [section, key = ''] = path.split('.')
  if (section === 'strategies') return kindName(key, t)
  return t(`settings.field.${key}`, { defaultValue: key })
}

function value(path: string, v: unknown, t: T, locale: string, names: Names): string {
  const [section, key = ''] = path.split('.')
  if (v === null || v === undefined) return t('settings.noLimit')
  if (section === 'strategies') return t(`settings.${RECORD_ONLY.has(key) ? 'record' : 'verdict'}Option.${String(v)}`, { defaultValue: String(v) })
  if (typeof v === 'boolean') return v ? t('common.yes') : t('common.no')
  if (key.endsWith('Cents') && typeof v === 'number') return formatMoney(v, locale)
  if (key.endsWith('Pct') && typeof v === 'number') return `${new Intl.NumberFormat(locale).format(v)} %`
  if (key === 'maxOfflineMinutes' && typeof v === 'number') return t('settings.minutes', { count: v })
  if (key.startsWith('on')) return t(`settings.action.${String(v)}`, { defaultValue: String(v) })
  if (key === 'rule') return t(`settings.ruleName.${String(v)}`, { defaultValue: String(v) })
  if (key === 'scarce' && Array.isArray(v)) return v.map((p) => names.products?.get(String(obj(p).productId)) ?? String(obj(p).productId)).join(', ') || '—'
  return String(v)
}

export function settingsAuditText(code: string, detail: Record<string, unknown>, t: T, locale: string, names: Names): string {
  if (code === 'settings.update') {
    const changes = Array.isArray(detail.changes) ? detail.changes.map(obj) : []
    const text = changes
      .map((c) => {
        const path = String(c.path ?? '')
        return `${label(path, t)}: ${value(path, c.before, t, locale, names)} → ${value(path, c.after, t, locale, names)}`
      })
      .join(' · ')
    return t('settings.audit.update', { version: Number(detail.version ?? 0), changes: text })
  }
  if (code === 'settings.refused') {
    const issues = Array.isArray(detail.issues) ? detail.issues.map(obj) : []
    return t('settings.audit.refused', { fields: issues.map((i) => `${String(i.field ?? '')} (${String(i.message ?? '')})`).join(', ') })
  }
  return ''
}
