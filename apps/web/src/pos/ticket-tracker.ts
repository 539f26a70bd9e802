/**
 * Watches each unsettled ticket of this terminal and keeps its receipt's state current:
 * on this device -> durable on the server -> accepted or refused by the projection.
 * Once a verdict is in and nothing is pending, the receipt is final: the ticket and its
 * cart documents are dropped from IndexedDB so storage stays bounded through the night.
 */
import type * as Y from 'yjs'
import type { SyncClient } from '@tally/client'
import { cartDocName, readVerdict, ticketDocName } from '@tally/schema'
import type { LocalStore } from './local-store.ts'
import { ticketState, upsertReceipt, type Receipt } from './receipts.ts'

export const DROP_RETRY_MS = 5_000

export class TicketTracker {
  private readonly docs = new Map<string, { doc: Y.Doc; off: () => void }>()
  private receiptList: Receipt[]
  /** Documents to drop once their last edits are durable (drop refuses while pending). */
  private dropQueue: string[]

  constructor(
    private readonly client: SyncClient,
    private readonly store: string,
    private readonly local: LocalStore,
    private readonly changed: () => void,
    /** A document the terminal is showing right now is never dropped under it. */
    private readonly inUse: (docName: string) => boolean = () => false,
  ) {
    this.receiptList = local.get<Receipt[]>('receipts', [])
    this.dropQueue = local.get<string[]>('dropQueue', [])
  }

  get receipts(): readonly Receipt[] {
    return this.receiptList
  }

  /** Re-open every unsettled ticket (after a reload: IndexedDB still has them). */
  async resume(): Promise<void> {
    for (const r of this.receiptList) if (!r.settled) await this.watch(r.id, false)
    this.retryDrops()
  }

  /** A new ticket; `doc` is already open and this tracker takes over that reference. */
  async add(receipt: Receipt, doc: Y.Doc): Promise<void> {
    this.save(upsertReceipt(this.receiptList, receipt))
    await this.watch(receipt.id, true, doc)
  }

  private async watch(id: string, alreadyOpen: boolean, given?: Y.Doc): Promise<void> {
    if (this.docs.has(id)) return
    const name = ticketDocName(this.store, id)
    const doc = alreadyOpen && given !== undefined ? given : await this.client.open(name)
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
    const pending = this.client.pending(name)
    const { state, reasons } = ticketState({
      pending,
      durable: this.client.isDurable(name),
      refusedByRelay: this.client.refused(name),
      verdict: readVerdict(entry.doc),
    })
    const settled = (state === 'accepted' || state === 'refused') && pending === 0
    if (state === receipt.state && !settled && JSON.stringify(reasons) === JSON.stringify(receipt.reasons)) return
    this.save(upsertReceipt(this.receiptList, { ...receipt, state, reasons, settled }))
    if (settled) {
      entry.off()
      this.docs.delete(id)
      this.client.release(name)
      this.queueDrop(name)
      this.queueDrop(cartDocName(this.store, id))
    }
    this.changed()
  }

  private queueDrop(name: string): void {
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
        if (this.client.pending(name) > 0 || this.inUse(name)) continue
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
      }
    })()
  }

  private save(list: Receipt[]): void {
    this.receiptList = list
    this.local.set('receipts', list)
  }

  destroy(): void {
    if (this.dropTimer !== undefined) clearTimeout(this.dropTimer)
    for (const { off } of this.docs.values()) off()
    this.docs.clear()
  }
}
