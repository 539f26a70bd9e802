/**
 * A refusal reason in the bartender's words (POS7). The server's `message` is for the
 * engineer on call (English, cents, line ids); the terminal shows a sentence per code
 * in the device's language, with money formatted, built from what the terminal knows:
 * the receipt's items and the catalog on the device. An unknown code gets a plain
 * "ask a manager" sentence rather than the code itself.
 */
import type { Product } from '@tally/schema'
import type { Receipt } from './receipts.ts'

export type Translate = (key: string, params?: Record<string, unknown>) => string

export interface ReasonContext {
  receipt: Pick<Receipt, 'total' | 'items'>
  products: readonly Pick<Product, 'id' | 'name' | 'price' | 'active'>[]
  money: (cents: number) => string
  t: Translate
}

/** Codes whose sentence needs no data beyond the ticket's total. */
const PLAIN: Readonly<Record<string, string>> = {
  visit_closed: 'reason.visit_closed',
  unknown_visit: 'reason.unknown_visit',
  totals_mismatch: 'reason.totals_mismatch',
  same_sale: 'reason.same_sale',
  double_checkout: 'reason.double_checkout',
  oversold: 'reason.oversold',
  duplicate: 'reason.duplicate',
  // The ticket reached the server damaged: nothing the bartender can fix.
  malformed: 'reason.damaged',
  no_lines: 'reason.damaged',
  bad_qty: 'reason.damaged',
  wrong_document: 'reason.damaged',
  // The relay did not admit the upload.
  forbidden_write: 'reason.forbidden_write',
  wrong_store: 'reason.wrong_store',
  too_large: 'reason.too_large',
  bad_doc_name: 'reason.damaged',
}

export function reasonText(reason: { code: string; message: string }, ctx: ReasonContext): string {
  const { t, money, receipt } = ctx
  const byId = new Map(ctx.products.map((p) => [p.id, p]))
  const names = (pick: (p: Pick<Product, 'active'> | undefined) => boolean): string => {
    const hit = receipt.items.filter((i) => i.productId !== undefined && pick(byId.get(i.productId)))
    return [...new Set((hit.length > 0 ? hit : receipt.items).map((i) => i.name))].join(', ')
  }
  switch (reason.code) {
    case 'unknown_product':
      return t('reason.unknown_product', { names: names((p) => p === undefined) })
    case 'inactive_product':
      return t('reason.inactive_product', { names: names((p) => p !== undefined && !p.active) })
    case 'price_changed': {
      const changed = receipt.items.flatMap((i) => {
        const p = i.productId === undefined ? undefined : byId.get(i.productId)
        return p !== undefined && i.unitPrice !== undefined && p.price !== i.unitPrice
          ? [t('reason.price_line', { name: i.name, sold: money(i.unitPrice), now: money(p.price) })]
          : []
      })
      return changed.length > 0 ? t('reason.price_changed', { changes: changed.join('; ') }) : t('reason.price_changed_unknown')
    }
    default: {
      const key = PLAIN[reason.code]
      return key !== undefined ? t(key, { total: money(receipt.total) }) : t('reason.unknown', { total: money(receipt.total) })
    }
  }
}
