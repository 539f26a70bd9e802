/**
 * One sentence per audit row ("Changed Cola: price 2,50 € → 3,00 €", "Sale uploaded:
 * 7,00 €, 2 lines"), from its kind, code and detail. A code this file does not know still
 * reads: its kind's name and the detail's fields, formatted; never raw JSON.
 */
import { strategyEffect } from './conflict-kinds.ts'
import { formatValue, signed, type Names, type T } from './labels.ts'
import { settingsAuditText } from './settings-text.ts'
import type { AuditRow } from './types.ts'

const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {})
const str = (v: unknown): string => (typeof v === 'string' ? v : '')

/** "price 2,50 € → 3,00 € · name Cola → Cola Zero" for the fields that changed. */
export function changes(before: unknown, after: unknown, t: T, locale: string, names: Names): string {
  const b = obj(before)
  const a = obj(after)
  return Object.keys(a)
    .filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .map((k) => {
      const label = t(`field.${k}`, { defaultValue: k })
      const to = formatValue(k, a[k], t, locale, names)
      return k in b ? `${label} ${formatValue(k, b[k], t, locale, names)} → ${to}` : `${label} ${to}`
    })
    .join(' · ')
}

export function auditText(r: AuditRow, t: T, locale: string, names: Names = {}): string {
  const d = obj(r.detail)
  const code = r.code ?? ''
  const v = (k: string, value: unknown = d[k]) => formatValue(k, value, t, locale, names)
  const productName = (id: unknown, fallback?: unknown) => (typeof id === 'string' ? (names.products?.get(id) ?? str(fallback)) || v('productId', id) : '')
  switch (r.kind) {
    case 'connect':
    case 'disconnect':
    case 'heartbeat_timeout':
      return d.remote ? t('auditText.from', { address: str(d.remote) }) : ''
    case 'login':
      if (code === 'ok') return t('auditText.loginOk')
      if (code === 'bad_credentials') return t('auditText.loginBad', { count: Number(d.failures ?? 1) })
      if (code === 'rate_limited') return t('auditText.loginLocked', { seconds: Number(d.retryAfterSeconds ?? 0) })
      break
    case 'master-data': {
      const after = obj(d.after)
      if (code === 'product.create') return t('auditText.productCreate', { name: str(after.name), price: v('price', after.price), opening: Number(after.openingStock ?? 0) })
      if (code === 'product.update') return t('auditText.productUpdate', { name: productName(d.productId, obj(d.before).name), changes: changes(d.before, d.after, t, locale, names) })
      if (code === 'partner.create') return t('auditText.partnerCreate', { name: str(after.name) })
      if (code === 'partner.update') return t('auditText.partnerUpdate', { name: names.partners?.get(str(d.partnerId)) ?? str(obj(d.before).name), changes: changes(d.before, d.after, t, locale, names) })
      // Staff (issue 16): never a PIN, only that it was reset.
      if (code.startsWith('staff.')) return t(`staffAudit.${code.slice(6)}`, { name: str(after.name) || str(obj(d.before).name), changes: changes(d.before, d.after, t, locale, names) })
      if (code === 'visit.open') return t('auditText.visitOpen', { name: v('partnerId'), bracelets: v('bracelets') })
      if (code === 'visit.update') return t('auditText.visitUpdate', { changes: changes(d.before, d.after, t, locale, names) })
      if (code === 'visit.close') return t('auditText.visitClose', { at: v('exitAt') })
      break
    }
    case 'stock': {
      const name = productName(d.productId)
      const delta = signed(Number(d.delta ?? 0), locale)
      if (code === 'stock.count') return t('auditText.stockCount', { name, counted: Number(d.counted ?? 0), before: Number(d.levelBefore ?? 0), delta })
      if (code === 'stock.opening') return t('auditText.stockOpening', { name, delta })
      return t('auditText.stockAdjust', { name, delta }) + (str(d.note) ? ` ${t('auditText.note', { note: str(d.note) })}` : '')
    }
    case 'resolution': {
      const res = obj(d.resolution)
      const kind = str(d.kind) || code.split('.')[0] || ''
      return t('auditText.resolution', {
        kind: t(`conflicts.kind.${kind}`, { defaultValue: kind.replace(/_/g, ' ') }),
        strategy: strategyEffect(kind, str(res.strategy), t).title,
        outcome: t(`conflicts.outcomes.${str(res.outcome)}`, { defaultValue: str(res.outcome) }),
      }) + (str(res.note) ? ` ${t('auditText.note', { note: str(res.note) })}` : '')
    }
    case 'void':
      return t('auditText.void', { total: v('total'), reason: str(d.reason) })
    case 'sale-upload':
      if (d.total !== undefined) return t('auditText.saleUpload', { status: t(`auditText.uploadStatus.${code}`, { defaultValue: code }), total: v('total'), count: Number(d.lines ?? 0) })
      return t(`auditText.uploadStatus.${code}`, { defaultValue: code }) + (str(d.reason) ? `: ${str(d.reason)}` : '')
    case 'upload': {
      // A terminal's upload (GET /terminals/:id/uploads, shown in its sync history).
      const total = r.subject?.total
      const parts = [
        typeof d.changes === 'number' ? t('uploads.changes', { count: d.changes }) : t('uploads.fromProjection'),
        typeof total === 'number' ? v('total', total) : '',
      ]
      return parts.filter(Boolean).join(' · ')
    }
    case 'settings': {
      const s = settingsAuditText(code, d, t, locale, names)
      if (s !== '') return s
      break
    }
    case 'approval':
      // A manager's PIN on a terminal (issue 16), copied from the ticket by the projection.
      return t('staffAudit.approval', { name: str(d.staffName), action: t(`staffAudit.action.${code}`, { defaultValue: code }), detail: str(d.detail), terminal: str(d.terminalId) })
    case 'refusal':
      return [t(`errors.${code}`, { defaultValue: code }), str(d.reason)].filter(Boolean).join(' ')
  }
  return code !== '' ? t(`auditText.code.${code}`, { defaultValue: code.replace(/[._]/g, ' ') }) : ''
}
