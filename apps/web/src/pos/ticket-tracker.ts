/**
 * Follows each ticket of this terminal and keeps its receipt's state current: on this
 * device -> safe on the server -> accepted / waiting for review / refused, and later a
 * void or a person's resolution (POS7). How long a ticket is followed and when its
 * documents are dropped from IndexedDB is ticket-follow.ts (POS8).
 */
import type * as Y from 'yjs'
import type { SyncClient } from '@tally/client'
import { cartDocName, readVerdict, readVoid, ticketDocName } from '@tally/schema'
import type { LocalStore } from './local-store.ts'
import { ticketState, upsertReceipt, type Receipt } from './receipts.ts'
import { dropsDocuments, toSettle } from './ticket-follow.ts'

export const DROP_RETRY_MS = 5_000
/** How often the age rule is looked at on a quiet terminal. */
export const SETTLE_CHECK_MS = 10 * 60 * 1000

export class TicketTracker {
  private readonly docs = new Map<string, { doc: Y.Doc; off: () => void }>()
  private receiptList: Receipt[]
  /** Documents to drop once their last edits are durable (drop refuses while pending). */
  private dropQueue: string[]
  private readonly settleTimer: ReturnType<typeof setInterval>

  constructor(
    private readonly client: SyncClient,
    private readonly store: string,
    private readonly local: LocalStore,
    private readonly changed: () => void,
    /** A document the terminal is showing right now is never dropped under it. */
    private readonly inUse: (docName: string) => boolean = () => false,
    private readonly now: () => number = Date.now,
  ) {
    this.receiptList = local.get<Receipt[]>('receipts', [])
    this.dropQueue = local.get<string[]>('dropQueue', [])
    this.settleTimer = setInterval(() => this.settleDue(), SETTLE_CHECK_MS)
    ;(this.settleTimer as { unref?: () => void }).unref?.()
  }

  get receipts(): readonly Receipt[] {
    return this.receiptList
  }

  /** Re-open every followed ticket (after a reload: IndexedDB still has them). */
  async resume(): Promise<void> {
    for (const r of this.receiptList) if (!r.settled) await this.watch(r.id)
    this.settleDue()
    this.retryDrops()
  }

  /** A new ticket; `doc` is already open and this tracker takes over that reference. */
  async add(receipt: Receipt, doc: Y.Doc): Promise<void> {
    this.save(upsertReceipt(this.receiptList, receipt))
    await this.watch(receipt.id, doc)
  }

  private async watch(id: string, given?: Y.Doc): Promise<void> {
    if (this.docs.has(id)) return
    const doc = given ?? (await this.client.open(ticketDocName(this.store, id)))
    const onUpdate = (): void => this.evaluate(id)
    doc.on('update', onUpdate)
    this.docs.set(id, { doc, off: () => doc.off('update', onUpdate) })
    this.evaluate(id)
  }

  /** Called on every client event (ack, pending, refused, status). */
  evaluateAll(): void {
    for (const id of [...this.docs.keys()]) this.evaluate(id)
    this.retryDrops()
  }

  private evaluate(id: string): void {
    const entry = this.docs.get(id)
    const receipt = this.receiptList.find((r) => r.id === id)
    if (entry === undefined || receipt === undefined) return
    const name = ticketDocName(this.store, id)
    const { state, reasons } = ticketState({
      pending: this.client.pending(name),
      durable: this.client.isDurable(name),
      refusedByRelay: this.client.refused(name),
      verdict: readVerdict(entry.doc),
      voided: readVoid(entry.doc) !== undefined,
    })
    if (state === receipt.state && JSON.stringify(reasons) === JSON.stringify(receipt.reasons)) return
    this.save(upsertReceipt(this.receiptList, { ...receipt, state, reasons }))
    this.settleDue()
    this.changed()
  }

  /** Stop following what ticket-follow says is done, and drop its documents. */
  settleDue(): void {
    const due = new Set(toSettle(this.receiptList, this.now()))
    if (due.size === 0) return
    let list = this.receiptList
    for (const r of this.receiptList) {
      if (!due.has(r.id)) continue
      const name = ticketDocName(this.store, r.id)
      const entry = this.docs.get(r.id)
      if (entry !== undefined) {
        entry.off()
        this.docs.delete(r.id)
        this.client.release(name)
      }
      list = upsertReceipt(list, { ...r, settled: true })
      if (dropsDocuments(r)) {
        this.dropLater(name)
        // Usually dropped at checkout already; receipts from before that still name it here.
        this.dropLater(cartDocName(this.store, r.cartId ?? r.id))
      }
    }
    this.save(list)
    this.changed()
  }

  /** Drop a document from this device once nothing of it is pending or on screen. */
  dropLater(name: string): void {
    if (!this.dropQueue.includes(name)) this.dropQueue.push(name)
    this.local.set('dropQueue', this.dropQueue)
    this.retryDrops()
  }

  private dropping = false
  private dropAgain = false
  private dropTimer: ReturnType<typeof setTimeout> | undefined
  /**
   * Drops run one pass at a time. A call during a pass asks for another pass, and a
   * document still pending (its cart's last edit not yet acknowledged) is retried on a
   * timer too, because a quiet terminal may get no further client event to retry on.
   */
  private retryDrops(): void {
    if (this.dropQueue.length === 0) return
    if (this.dropping) {
      this.dropAgain = true
      return
    }
    this.dropping = true
    const queue = [...this.dropQueue]
    void (async () => {
      for (const name of queue) {
        if (this.client.pending(name) > 0 || this.inUse(name) || this.followed(name)) continue
        try {
          await this.client.drop(name)
          this.dropQueue = this.dropQueue.filter((n) => n !== name)
        } catch {
          // Still pending or closing: retried below.
        }
      }
      this.local.set('dropQueue', this.dropQueue)
      this.dropping = false
      if (this.dropAgain) {
        this.dropAgain = false
        this.retryDrops()
      } else if (this.dropQueue.length > 0 && this.dropTimer === undefined) {
        this.dropTimer = setTimeout(() => {
          this.dropTimer = undefined
          this.retryDrops()
        }, DROP_RETRY_MS)
        ;(this.dropTimer as { unref?: () => void }).unref?.()
      }
    })()
  }

  private followed(name: string): boolean {
    for (const id of this.docs.keys()) if (ticketDocName(this.store, id) === name) return true
    return false
  }

  private save(list: Receipt[]): void {
    this.receiptList = list
    this.local.set('receipts', list)
  }

  destroy(): void {
    clearInterval(this.settleTimer)
    if (this.dropTimer !== undefined) clearTimeout(this.dropTimer)
    for (const { off } of this.docs.values()) off()
    this.docs.clear()
  }
}
