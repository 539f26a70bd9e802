/**
 * Approvals given on an open tab (issue 16): a manager's PIN that voided a line or
 * lowered a quantity is kept in the cart under a fresh id (`approvals` root, one entry
 * each, so two terminals approving at once never overwrite each other) and travels into
 * the ticket made from the cart at checkout, where the projection audits it.
 */
import type * as Y from 'yjs'
import { isStorableText } from './limits.ts'
import { approvalSchema, validate, type Approval } from './validate.ts'

export const CART_APPROVALS_ROOT = 'approvals'

export function recordCartApproval(doc: Y.Doc, id: string, a: Approval): void {
  doc.getMap<unknown>(CART_APPROVALS_ROOT).set(id, { ...a })
}

/** The tab's approvals, oldest id (UUIDv7) first; invalid entries skipped. */
export function readCartApprovals(doc: Y.Doc): Approval[] {
  const out: Array<[string, Approval]> = []
  for (const [id, v] of doc.getMap<unknown>(CART_APPROVALS_ROOT).entries()) {
    const r = validate(approvalSchema, v)
    if (r.ok && isStorableText(id)) out.push([id, r.value])
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, a]) => a)
}
