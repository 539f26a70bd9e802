/**
 * The tab being opened (POS14). Opening a visit's tab can take a while on a slow link
 * (the visit and its tabs are brought up to date with the relay first); a product tapped
 * meanwhile belongs to the tab being opened, so it waits here and goes onto that tab once
 * it is open, never onto the tab that was on screen before.
 */
import type * as Y from 'yjs'
import { addToCart, readCartMeta, uuidv7, writeCartMeta, type Product } from '@tally/schema'

export interface TabRef {
  cartId: string
  label: string
  visitId: string | null
  bracelet: string | null
}
export interface Tap {
  product: Pick<Product, 'id' | 'name' | 'price' | 'taxRate'>
  delta: number
}
/** A tab being opened; taps made meanwhile wait here and go onto it once it is open. */
export interface Opening {
  readonly seq: number
  readonly label: string
  readonly visitId: string | null
  readonly taps: Tap[]
}

/** Add a tap to a tab, writing the tab's meta with its first line so others know whose it is. */
export function applyTap(terminalId: string, ref: TabRef, cart: Y.Doc, tap: Tap): void {
  const meta = readCartMeta(cart)
  if (meta.label === '' || (ref.visitId !== null && meta.visitId === null)) {
    writeCartMeta(cart, {
      visitId: meta.visitId ?? ref.visitId ?? undefined,
      bracelet: meta.bracelet ?? ref.bracelet ?? undefined,
      label: meta.label || ref.label,
    })
  }
  addToCart(cart, terminalId, tap.product, tap.delta, uuidv7)
}

export class Openings {
  /** The opening on screen (the latest one), or null. */
  current: Opening | null = null
  private seq = 0

  constructor(
    private readonly terminalId: string,
    /** Taps were made for a tab that could not be opened. */
    private readonly lost: () => void,
    private readonly changed: () => void,
  ) {}

  begin(label: string, visitId: string | null): Opening {
    const op: Opening = { seq: ++this.seq, label, visitId, taps: [] }
    this.current = op
    this.changed()
    return op
  }

  /** A later scan or pick did not supersede it. */
  isLatest(op: Opening): boolean {
    return op.seq === this.seq
  }

  /** The tab is open (or could not be): its waiting taps go onto it, never onto another. */
  end(op: Opening, ref: TabRef | null, cart: Y.Doc | null): void {
    if (ref !== null && cart !== null) for (const tap of op.taps.splice(0)) applyTap(this.terminalId, ref, cart, tap)
    else if (op.taps.length > 0) this.lost()
    if (this.current === op) this.current = null
    this.changed()
  }

  /** Keep a tap for the tab being opened; false when no tab is opening. */
  queue(tap: Tap): boolean {
    if (this.current === null) return false
    this.current.taps.push(tap)
    this.changed()
    return true
  }
}
