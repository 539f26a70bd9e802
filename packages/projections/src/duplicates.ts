/**
 * Suspected duplicates: the same bracelet charged the same lines from two terminals
 * within a minute, the classic double ring-up when two bartenders serve one guest.
 * Pure; the worker feeds it the batch's tickets and recent ones from the table.
 */
export const DUPLICATE_WINDOW_MS = 60_000

export interface DuplicateCandidate {
  ticketId: string
  store: string
  terminalId: string
  bracelet: string
  clientTime: Date
  /** lineSignature() of the ticket's lines. */
  signature: string
}

export interface DuplicatePair {
  key: string
  tickets: [string, string]
}

export function lineSignature(lines: ReadonlyArray<{ productId: string; qty: number }>): string {
  const qty = new Map<string, number>()
  for (const l of lines) qty.set(l.productId, (qty.get(l.productId) ?? 0) + l.qty)
  return [...qty.entries()]
    .filter(([, q]) => q !== 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([p, q]) => `${p}*${q}`)
    .join(',')
}

export const duplicateKey = (a: string, b: string): string => (a < b ? `duplicate:${a}:${b}` : `duplicate:${b}:${a}`)

/** Pairs with at least one ticket in `fresh`; `known` are already projected tickets. */
export function findDuplicates(
  fresh: readonly DuplicateCandidate[],
  known: readonly DuplicateCandidate[],
  windowMs = DUPLICATE_WINDOW_MS,
): DuplicatePair[] {
  const all = new Map<string, DuplicateCandidate>()
  for (const c of known) all.set(c.ticketId, c)
  for (const c of fresh) all.set(c.ticketId, c)
  const byBracelet = new Map<string, DuplicateCandidate[]>()
  for (const c of all.values()) {
    if (c.signature === '') continue
    const k = `${c.store}\u0000${c.bracelet}\u0000${c.signature}`
    const list = byBracelet.get(k) ?? []
    list.push(c)
    byBracelet.set(k, list)
  }
  const freshIds = new Set(fresh.map((c) => c.ticketId))
  const out = new Map<string, DuplicatePair>()
  for (const list of byBracelet.values()) {
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const a = list[i] as DuplicateCandidate
        const b = list[j] as DuplicateCandidate
        if (!freshIds.has(a.ticketId) && !freshIds.has(b.ticketId)) continue
        if (a.terminalId === b.terminalId) continue
        if (Math.abs(a.clientTime.getTime() - b.clientTime.getTime()) >= windowMs) continue
        const key = duplicateKey(a.ticketId, b.ticketId)
        const tickets = (a.ticketId < b.ticketId ? [a.ticketId, b.ticketId] : [b.ticketId, a.ticketId]) as [string, string]
        out.set(key, { key, tickets })
      }
    }
  }
  return [...out.values()].sort((x, y) => (x.key < y.key ? -1 : 1))
}
