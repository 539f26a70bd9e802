/** Cart document -> open-tab row. Pure. */
import type * as Y from 'yjs'
import { cartTotal, readCartLines, readCartMeta } from '@tally/schema'

export interface CartRow {
  id: string
  store: string
  visitId: string | null
  label: string
  lineCount: number
  total: number
  checkedOut: string | null
}

export function projectCart(input: { store: string; cartId: string; doc: Y.Doc }): CartRow {
  const meta = readCartMeta(input.doc)
  const lines = readCartLines(input.doc)
  return {
    id: input.cartId,
    store: input.store,
    visitId: meta.visitId,
    label: meta.label,
    lineCount: lines.length,
    total: cartTotal(lines),
    checkedOut: meta.checkedOut,
  }
}
