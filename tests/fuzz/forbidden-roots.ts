/**
 * The oracle for "no forbidden root ever changes": it does not trust the relay's write
 * check, it reads what ended up in the documents. Every struct is attributed to the log
 * row that first carried its id; a terminal's row may not have put a live item into a
 * root terminals may not write, nor been the first to delete an item there. The relay's
 * in-memory copy is judged the same way (and may hold nothing the log lacks).
 *
 * The rules are DESIGN.md's table, written out here rather than imported from the code
 * under test: catalog and roster are server-only, a ticket's `server` and `void` and a
 * visit's `closing` are not the terminal's.
 */
import * as Y from 'yjs'
import type { RelayHost } from './host.ts'

export type DocTarget = { doc: string; kind: 'catalog' | 'roster' | 'ticket' | 'visit' }

export function terminalForbidden(kind: DocTarget['kind']): readonly string[] | 'all' {
  switch (kind) {
    case 'catalog':
    case 'roster':
      return 'all'
    case 'ticket':
      return ['server', 'void']
    case 'visit':
      return ['closing']
  }
}

const isTerminal = (actor: string) => actor.startsWith('terminal:')

interface Range {
  clock: number
  end: number
  actor: string
  seq: number
}

/** Per client, the id ranges each log row brought, first row wins. */
class Authors {
  private readonly byClient = new Map<number, Range[]>()
  add(client: number, clock: number, length: number, actor: string, seq: number): void {
    const list = this.byClient.get(client) ?? []
    list.push({ clock, end: clock + length, actor, seq })
    this.byClient.set(client, list)
  }
  of(id: Y.ID): Range | undefined {
    return this.byClient.get(id.client)?.find((r) => id.clock >= r.clock && id.clock < r.end)
  }
}

function rootName(doc: Y.Doc, item: Y.Item): string | null {
  let type = item.parent as Y.AbstractType<unknown> | null
  while (type && type._item) type = type._item.parent as Y.AbstractType<unknown> | null
  if (!type) return null
  for (const [name, t] of doc.share) if (t === type) return name
  return null
}

function forbiddenItems(doc: Y.Doc, kind: DocTarget['kind']): Array<{ item: Y.Item; root: string }> {
  const forbidden = terminalForbidden(kind)
  const out: Array<{ item: Y.Item; root: string }> = []
  for (const structs of doc.store.clients.values()) {
    for (const s of structs) {
      if (!(s instanceof Y.Item)) continue
      const root = rootName(doc, s)
      if (root === null) continue
      if (forbidden === 'all' || forbidden.includes(root)) out.push({ item: s, root })
    }
  }
  return out
}

const idOf = (id: Y.ID) => `${id.client}:${id.clock}`
const valueOf = (item: Y.Item): string => {
  try {
    return JSON.stringify(item.content.getContent()).slice(0, 120)
  } catch {
    return item.content.constructor.name
  }
}

/** What terminals changed in forbidden roots of one document, in the log and in the relay's copy. */
export async function forbiddenChanges(host: RelayHost, target: DocTarget): Promise<string[]> {
  // The relay's copy first: whatever it holds must already be in the log read after it.
  const relayBytes = await host.relayDoc(target.doc)
  const rows = await host.log(target.doc)
  const authors = new Authors()
  const log = new Y.Doc({ gc: false })
  const firstDeleter = new Map<string, { actor: string; seq: number; clock: number }>()
  const deletions: Array<{ ds: ReturnType<typeof Y.decodeUpdate>['ds']; actor: string; seq: number }> = []
  for (const r of rows) {
    let decoded: ReturnType<typeof Y.decodeUpdate>
    try {
      decoded = Y.decodeUpdate(r.bytes)
    } catch {
      continue
    }
    for (const s of decoded.structs) if (!(s instanceof Y.Skip)) authors.add(s.id.client, s.id.clock, s.length, r.actor, r.seq)
    deletions.push({ ds: decoded.ds, actor: r.actor, seq: r.seq })
    try {
      Y.applyUpdate(log, r.bytes)
    } catch {
      // A row that does not apply changes nothing; the relay stores what it checked.
    }
  }
  const problems: string[] = []
  const judge = (doc: Y.Doc, where: string) => {
    for (const { item, root } of forbiddenItems(doc, target.kind)) {
      const author = authors.of(item.id)
      if (!author) {
        problems.push(`${where}: item ${idOf(item.id)} in "${root}" of ${target.doc} is in no log row (${valueOf(item)})`)
        continue
      }
      if (isTerminal(author.actor) && !item.deleted) {
        problems.push(`${where}: "${root}" of ${target.doc} holds item ${idOf(item.id)} = ${valueOf(item)} written by ${author.actor} (log seq ${author.seq})`)
      }
    }
  }
  judge(log, 'log')
  // Who deleted each forbidden item first, in log order.
  const items = forbiddenItems(log, target.kind)
  for (const { ds, actor, seq } of deletions) {
    for (const [client, ranges] of ds.clients) {
      for (const r of ranges) {
        for (const { item } of items) {
          if (item.id.client !== client || item.id.clock + item.length <= r.clock || item.id.clock >= r.clock + r.len) continue
          // Yjs merges neighbouring deleted items: name the id the deletion hit, not the merged item's first.
          if (!firstDeleter.has(idOf(item.id))) firstDeleter.set(idOf(item.id), { actor, seq, clock: Math.max(item.id.clock, r.clock) })
        }
      }
    }
  }
  for (const { item, root } of items) {
    const d = firstDeleter.get(idOf(item.id))
    const author = authors.of(item.id)
    if (d && isTerminal(d.actor) && item.deleted && author && !isTerminal(author.actor)) {
      problems.push(`log: ${d.actor} (seq ${d.seq}) deleted ${author.actor}'s item ${item.id.client}:${d.clock} in "${root}" of ${target.doc}`)
    }
  }
  if (relayBytes) {
    const relay = new Y.Doc({ gc: false })
    Y.applyUpdate(relay, relayBytes)
    judge(relay, "relay's copy")
  }
  return problems
}
