/** The manager's words: lag, documents, people, audit sentences, strategies, sign-in errors. */
import { beforeAll, describe, expect, it } from 'vitest'
import i18next, { type i18n as I18n } from 'i18next'
import { ApiError } from './api.ts'
import { auditText } from './audit-text.ts'
import { CONFLICT_KINDS, EFFECT_FAMILIES, kindName, strategyEffect } from './conflict-kinds.ts'
import { en } from './i18n/en.ts'
import { es } from './i18n/es.ts'
import { actorLabel, docLabel, formatSeconds, formatValue, lagText, shortId, type T } from './labels.ts'
import { loginMessage } from './login-message.ts'
import { STRATEGIES, type AuditRow } from './types.ts'

const nb = (s: string) => s.replace(/\s/g, ' ')
const TICKET = '0192f0c4-7d2e-7a10-9c3b-5e8d1f3f9a1c'
const PRODUCT = '0192f0c4-0000-7000-8000-00000000c01a'
const PARTNER = '0192f0c4-0000-7000-8000-0000000aa001'
const names = { products: new Map([[PRODUCT, 'Cola']]), partners: new Map([[PARTNER, 'Marta Ibáñez']]) }
const row = (r: Partial<AuditRow>): AuditRow => ({ id: 1, at: '2026-12-01T22:14:00Z', actor: null, kind: 'update', code: null, doc: null, detail: null, ...r })

let inst: I18n
const tr = (lng: 'es' | 'en'): T => inst.getFixedT(lng, 'admin') as unknown as T

beforeAll(async () => {
  inst = i18next.createInstance()
  await inst.init({ resources: { es: { admin: es }, en: { admin: en } }, lng: 'es', ns: ['admin'], defaultNS: 'admin', interpolation: { escapeValue: false } })
})

describe('back office labels', () => {
  it('[ADM20] projection lag reads "up to date" or "N tickets, about S s behind", never a checkpoint', () => {
    expect(lagText({ lagRows: 0, lagSeconds: 0, lagTickets: 0 }, tr('en'), 'en').text).toBe('Up to date')
    expect(lagText({ lagRows: 0, lagSeconds: 0, lagTickets: 0 }, tr('es'), 'es').text).toBe('Al día')
    const en3 = lagText({ lagRows: 9, lagSeconds: 12.4, lagTickets: 3 }, tr('en'), 'en')
    expect(en3.upToDate).toBe(false)
    expect(nb(en3.text)).toBe('3 tickets, about 12 sec behind')
    expect(nb(lagText({ lagRows: 2, lagSeconds: 40, lagTickets: 1 }, tr('es'), 'es').text)).toBe('1 ticket, unos 40 s de retraso')
    // Rows but no ticket (a tab being edited): said as changes, with their age.
    expect(nb(lagText({ lagRows: 2, lagSeconds: 0.2, lagTickets: 0 }, tr('en'), 'en').text)).toBe('2 changes waiting, about 1 sec behind')
    expect(nb(formatSeconds(150, 'es'))).toBe('3 min')
    expect(nb(formatSeconds(7200, 'en'))).toBe('2 hr')
  })

  it('[ADM21] documents are named by what they are: ticket #id of terminal at time, visit of member, catalog; never store/kind/uuid', () => {
    const now = new Date('2026-12-01T23:00:00Z')
    const at = new Intl.DateTimeFormat('en', { timeStyle: 'short' }).format(new Date('2026-12-01T22:14:00Z'))
    const doc = `bar/ticket/${TICKET}`
    expect(shortId(TICKET)).toBe('#3f9a1c')
    expect(docLabel({ doc, kind: 'ticket', id: TICKET, terminalId: 'barra-1', clientTime: '2026-12-01T22:14:00Z' }, doc, tr('en'), 'en', now)).toBe(`Ticket #3f9a1c of barra-1 · ${at}`)
    // Not projected yet, or no subject from an older server: still not the raw name.
    expect(docLabel(null, doc, tr('es'), 'es')).toBe('Ticket #3f9a1c')
    expect(docLabel({ doc: 'bar/visit/x', kind: 'visit', id: PARTNER, name: 'Marta Ibáñez' }, 'bar/visit/x', tr('es'), 'es')).toBe('Visita de Marta Ibáñez')
    expect(docLabel(null, 'bar/catalog', tr('es'), 'es')).toBe('Catálogo de productos')
    expect(docLabel(null, 'bar/roster', tr('en'), 'en')).toBe('Open visits list')
    expect(docLabel({ doc: 'bar/cart/x', kind: 'cart', id: TICKET, name: 'Mesa 4' }, null, tr('en'), 'en')).toBe('Tab “Mesa 4”')
    expect(actorLabel('admin:ana@bar.es', tr('en'))).toBe('ana@bar.es')
    expect(actorLabel('terminal:barra-1', tr('es'))).toBe('Terminal barra-1')
    expect(actorLabel('projection', tr('en'))).toBe('The system')
  })

  it('[ADM22] audit rows are sentences with money in the locale, names for ids, no JSON and no cents', () => {
    const update = row({ kind: 'master-data', code: 'product.update', actor: 'admin:ana@bar.es', detail: { productId: PRODUCT, before: { price: 250 }, after: { price: 300 } } })
    expect(nb(auditText(update, tr('en'), 'en-GB', names))).toBe('Changed “Cola”: price €2.50 → €3.00')
    expect(nb(auditText(update, tr('es'), 'es-ES', names))).toBe('Cambios en «Cola»: precio 2,50 € → 3,00 €')
    const sale = row({ kind: 'sale-upload', code: 'success', detail: { localId: TICKET, terminalId: 'barra-1', total: 700, lines: 2 } })
    expect(nb(auditText(sale, tr('es'), 'es-ES', names))).toBe('Venta recibida: 7,00 €, 2 líneas')
    const count = row({ kind: 'stock', code: 'stock.count', detail: { productId: PRODUCT, delta: -3, counted: 9, levelBefore: 12 } })
    expect(auditText(count, tr('en'), 'en', names)).toBe('Cola: counted 9 (was 12, -3)')
    const resolved = row({ kind: 'resolution', code: 'oversold.terminal_wins', detail: { kind: 'oversold', resolution: { strategy: 'terminal_wins', outcome: 'adjusted', note: 'caja' } } })
    expect(auditText(resolved, tr('en'), 'en', names)).toBe('Oversold resolved: Book the missing units → Stock adjusted “caja”')
    const voided = row({ kind: 'void', code: 'ticket.void', detail: { ticketId: TICKET, reason: 'error', total: 1250 } })
    expect(nb(auditText(voided, tr('en'), 'en-GB', names))).toBe('Ticket voided (€12.50): error')
    // Any detail value: money keys formatted, ids as names, objects as fields, never "{".
    expect(nb(formatValue('after', { price: 320, name: 'Vermut' }, tr('en'), 'en-GB', names))).toBe('price: €3.20 · name: Vermut')
    expect(formatValue('partnerId', PARTNER, tr('en'), 'en', names)).toBe('Marta Ibáñez')
    expect(formatValue('findings', [{ code: 'x', total: 5 }], tr('en'), 'en-GB', names)).not.toContain('{')
  })

  it('[ADM23] every strategy of every kind is explained by its effect on stock and money, in both languages, with no "same as" jargon', () => {
    for (const lng of ['es', 'en'] as const) {
      for (const family of EFFECT_FAMILIES) {
        const kind = Object.entries(CONFLICT_KINDS).find(([, v]) => v.effects === family)?.[0] ?? 'a_new_kind'
        for (const s of STRATEGIES) {
          const e = strategyEffect(kind, s, tr(lng), 2)
          expect(e.title, `${lng} ${kind} ${s}`).not.toMatch(/effects\.|strategy\./)
          expect(e.effect.length, `${lng} ${kind} ${s}`).toBeGreaterThan(15)
          expect(`${e.title} ${e.effect}`).not.toMatch(/same as|igual que|\((same|igual)/i)
        }
      }
    }
    expect(strategyEffect('price_changed', 'terminal_wins', tr('en')).title).toBe('Keep the terminal’s price')
    expect(strategyEffect('oversold', 'terminal_wins', tr('es'), 1).effect).toContain('1 unidad')
    // A kind added elsewhere without labels still reads: its words, the generic effects.
    expect(kindName('double_checkout_v2', tr('en'))).toBe('double checkout v2')
    expect(strategyEffect('not_listed', 'server_wins', tr('en')).effect).toBe('What the terminal sent does not count.')
  })

  it('[ADM24] a failed sign-in is one sentence, without the server repeating it and without commands', () => {
    const bad = loginMessage(new ApiError('bad_token', 'wrong email or password', 401), tr('en'))
    expect(bad).toEqual({ code: 'bad_token', text: 'Wrong email or password.' })
    expect(loginMessage(new ApiError('rate_limited', 'too many', 429, undefined, 30), tr('es')).text).toBe('Demasiadas peticiones: espera 30 s.')
    for (const lng of ['es', 'en'] as const) expect(tr(lng)('login.help')).not.toMatch(/npm/)
  })
})
