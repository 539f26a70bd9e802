/**
 * The manager's words for what the API sends: projection lag in tickets and seconds,
 * documents by what they are (never `store/ticket/uuid`), who did something, and detail
 * values with money formatted. Pure functions of a translator, so the unit tests check
 * the real Spanish and English sentences.
 */
import { formatMoney } from './format.ts'
import type { DocSubject } from './types.ts'

export type T = (key: string, opts?: Record<string, unknown>) => string

export interface Names {
  products?: ReadonlyMap<string, string>
  partners?: ReadonlyMap<string, string>
}

/** Keys whose integer values are cents. */
export const MONEY_KEY = /(price|total|amount|consumed|cents|paid|subtotal|tip|change|tendered)$/i

/** The part of an id a person can read aloud: `#3f9a1c`. */
export function shortId(id: string): string {
  return `#${id.replace(/-/g, '').slice(-6)}`
}

/** 45 -> "45 s", 150 -> "3 min", 7200 -> "2 h" (rounded, in the locale's short units). */
export function formatSeconds(seconds: number, locale: string): string {
  const s = Math.max(0, Math.round(seconds))
  const unit = (n: number, u: 'second' | 'minute' | 'hour') => new Intl.NumberFormat(locale, { style: 'unit', unit: u, unitDisplay: 'short' }).format(n)
  if (s < 120) return unit(s, 'second')
  if (s < 7200) return unit(Math.round(s / 60), 'minute')
  return unit(Math.round(s / 3600), 'hour')
}

export interface Lag {
  lagRows: number
  lagSeconds: number
  lagTickets?: number
}

/** "Up to date", or "3 tickets, about 12 s behind" (changes other than sales when no ticket waits). */
export function lagText(p: Lag, t: T, locale: string): { upToDate: boolean; text: string } {
  if (p.lagRows <= 0 && (p.lagTickets ?? 0) <= 0) return { upToDate: true, text: t('dashboard.upToDate') }
  const seconds = formatSeconds(Math.max(1, p.lagSeconds), locale)
  const tickets = p.lagTickets ?? 0
  return { upToDate: false, text: tickets > 0 ? t('dashboard.lagTickets', { count: tickets, seconds }) : t('dashboard.lagChanges', { count: p.lagRows, seconds }) }
}

/** Time of day when it is today, else date and time. */
export function formatWhen(iso: string | null | undefined, locale: string, now: Date = new Date()): string {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return String(iso)
  const today = d.toDateString() === now.toDateString()
  return new Intl.DateTimeFormat(locale, today ? { timeStyle: 'short' } : { dateStyle: 'short', timeStyle: 'short' }).format(d)
}

/** A document as a person reads it: "Ticket #3f9a1c · barra-1 · 22:14", "Visit of Marta Ibáñez". */
export function docLabel(subject: DocSubject | null | undefined, doc: string | null, t: T, locale: string, now?: Date): string {
  if (!subject) {
    if (doc === null) return ''
    const [, kind, id] = doc.split('/')
    return kind !== undefined ? docLabel({ doc, kind, id: id ?? null }, doc, t, locale, now) : doc
  }
  const short = subject.id !== null ? shortId(subject.id) : ''
  switch (subject.kind) {
    case 'ticket':
      return subject.terminalId !== undefined
        ? t('doc.ticketOf', { id: short, terminal: subject.terminalId, at: formatWhen(subject.clientTime, locale, now) })
        : t('doc.ticket', { id: short })
    case 'visit':
      return subject.name !== undefined ? t('doc.visitOf', { name: subject.name }) : t('doc.visit', { id: short })
    case 'cart':
      return subject.name !== undefined ? t('doc.cartNamed', { name: subject.name }) : t('doc.cart', { id: short })
    case 'catalog':
      return t('doc.catalog')
    case 'roster':
      return t('doc.roster')
    default:
      // A refused request's path or a name that does not parse: say what it is, keep it short.
      return subject.id !== null ? t('doc.other', { kind: subject.kind ?? '?', id: short }) : doc ?? ''
  }
}

/** "admin:ana@bar.es" -> "ana@bar.es", "terminal:barra-1" -> "Terminal barra-1". */
export function actorLabel(actor: string | null, t: T): string {
  if (actor === null || actor === '') return '—'
  const i = actor.indexOf(':')
  const role = i === -1 ? actor : actor.slice(0, i)
  const who = i === -1 ? '' : actor.slice(i + 1)
  switch (role) {
    case 'terminal':
      return t('actor.terminal', { id: who })
    case 'admin':
    case 'login':
      return who
    case 'service':
      return t('actor.service', { id: who })
    case 'anonymous':
      return t('actor.anonymous', { address: who })
    case 'projection':
      return t('actor.projection')
    default:
      return actor
  }
}

/** One detail value for people: cents as money, product and member ids as names, lists joined. */
export function formatValue(key: string, value: unknown, t: T, locale: string, names: Names = {}): string {
  if (value === null || value === undefined || value === '') return '—'
  if (typeof value === 'number' && Number.isInteger(value) && MONEY_KEY.test(key)) return formatMoney(value, locale)
  if (typeof value === 'string' && key === 'productId') return names.products?.get(value) ?? shortId(value)
  if (typeof value === 'string' && key === 'partnerId') return names.partners?.get(value) ?? shortId(value)
  if (typeof value === 'string' && /(^id|Id)$/.test(key) && value.length > 14) return shortId(value)
  if (typeof value === 'string' && /(At|^at|[tT]ime)$/.test(key) && !Number.isNaN(Date.parse(value))) return formatWhen(value, locale)
  if (typeof value === 'boolean') return value ? t('common.yes') : t('common.no')
  if (typeof value === 'number') return new Intl.NumberFormat(locale).format(value)
  if (Array.isArray(value)) return value.map((v) => formatValue(key, v, t, locale, names)).join(', ')
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${t(`field.${k}`, { defaultValue: k })}: ${formatValue(k, v, t, locale, names)}`)
      .join(' · ')
  }
  return String(value)
}

export const signed = (n: number, locale: string): string => `${n > 0 ? '+' : ''}${new Intl.NumberFormat(locale).format(n)}`
