/**
 * The bar floor: N web terminals (the app's own Terminal class over the real SyncClient,
 * each with its own IndexedDB and localStorage) behind their own TCP proxy to one relay.
 * Runs the plan's steps through the terminal's public actions only and records what each
 * terminal's screen said it sold: the ledger the final checks compare Postgres against.
 */
import { readCartLines, readProducts, readSale, ticketDocName, type PaymentMethod, type Product } from '@tally/schema'
import type { Terminal } from '../../apps/web/src/pos/terminal.ts'
import { Device, startNodeTerminal, stopNodeTerminal } from '../helpers/node-terminal.ts'
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts'
import type { NightRelay } from './night-relay.ts'
import { describeStep, type Step } from './night-plan.ts'

export interface SaleRecord {
  ticketId: string
  terminal: string
  /** The tab the terminal was showing when it took the money. */
  cartId: string
  visitId: string | null
  total: number
  method: PaymentMethod
  clientTime: string
  lines: Array<{ productId: string; qty: number; unitPrice: number }>
  /** Same content, same sale: products, quantities and prices, order-free. */
  signature: string
  step: number
}

export interface AddRecord {
  terminal: string
  cartId: string
  productId: string
  qty: number
  step: number
}

interface Station {
  readonly name: string
  readonly device: Device
  readonly proxy: TcpProxy
  terminal: Terminal
  /** Receipts this station's screen listed at each checkout, by ticket id. */
  readonly sold: Set<string>
}

export const FLOOR_BACKOFF = { minMs: 50, maxMs: 800 }
/** With edits pending, a silent socket is replaced after this long (blackholed links). */
export const FLOOR_ACK_TIMEOUT_MS = 2500

export function saleSignature(lines: SaleRecord['lines']): string {
  const by = new Map<string, number>()
  for (const l of lines) by.set(`${l.productId}@${l.unitPrice}`, (by.get(`${l.productId}@${l.unitPrice}`) ?? 0) + l.qty)
  return [...by.entries()]
    .filter(([, q]) => q !== 0)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, q]) => `${k}*${q}`)
    .join(',')
}

/** Wait on a condition with a deadline; `undefined` when it did not hold in time. */
export async function waitUntil<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, ms: number, everyMs = 25): Promise<T | undefined> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v !== undefined && v !== false) return v
    if (Date.now() > deadline) return undefined
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

export class Floor {
  readonly sales: SaleRecord[] = []
  readonly adds: AddRecord[] = []
  readonly adjustments: Array<{ productId: string; delta: number; at: Date }> = []
  /** Visits the back office closed, with the exit time the server recorded. */
  readonly closed = new Map<string, Date>()
  /** Back-office steps that came while the relay was down; they run once it is back. */
  private deferred: Step[] = []
  /** Every step as it ran, with what came of it (printed on failure). */
  readonly log: string[] = []
  private step = -1
  private rush = false
  private readonly t0 = Date.now()

  private constructor(
    readonly relay: NightRelay,
    readonly store: string,
    readonly stations: Station[],
  ) {}

  static async open(relay: NightRelay, store: string, n: number): Promise<Floor> {
    const floor = new Floor(relay, store, [])
    try {
      for (let i = 0; i < n; i++) {
        const name = `night-${i}`
        const device = new Device(name)
        const proxy = await startTcpProxy(relay.port)
        const terminal = await Floor.boot(relay, device, proxy, name).catch(async (err: unknown) => {
          await proxy.close()
          throw err
        })
        floor.stations.push({ name, device, proxy, terminal, sold: new Set() })
      }
      for (const s of floor.stations) {
        const ok = await waitUntil(() => s.terminal.catalog !== null && readProducts(s.terminal.catalog).length > 0 && s.terminal.roster !== null, 20_000)
        if (!ok) throw new Error(`${s.name}: no catalog or roster from the relay`)
      }
    } catch (err) {
      await floor.close()
      throw err
    }
    return floor
  }

  private static async boot(relay: NightRelay, device: Device, proxy: TcpProxy, name: string): Promise<Terminal> {
    return startNodeTerminal({ device, url: proxy.url, token: await relay.terminalToken(name), backoff: FLOOR_BACKOFF, ackTimeoutMs: FLOOR_ACK_TIMEOUT_MS })
  }

  products(i = 0): Product[] {
    const cat = this.stations[i]!.terminal.catalog
    return cat === null ? [] : readProducts(cat)
  }

  private note(s: string): void {
    this.log.push(`${((Date.now() - this.t0) / 1000).toFixed(2).padStart(7)}s #${this.step} ${s}`)
  }

  async run(step: Step): Promise<void> {
    this.step++
    const rushed = this.rush
    this.rush = false
    const desc = describeStep(step)
    switch (step.kind) {
      case 'scan': {
        const st = this.stations[step.t]!
        const ok = await st.device.run(() => st.terminal.scanBracelet(step.bracelet))
        this.note(`${desc}: ${ok ? `tab ${st.terminal.current?.cartId}` : 'unknown'}`)
        break
      }
      case 'walkIn': {
        const st = this.stations[step.t]!
        await st.device.run(() => st.terminal.newTab())
        this.note(`${desc}: tab ${st.terminal.current?.cartId}`)
        break
      }
      case 'join': {
        const st = this.stations[step.t]!
        const from = this.stations[step.from]!.terminal.current
        if (from === null) break
        if (from.bracelet !== null) await st.device.run(() => st.terminal.scanBracelet(from.bracelet!))
        else await st.device.run(() => st.terminal.openTabById(from.cartId))
        const same = st.terminal.current?.cartId === from.cartId
        this.note(`${desc}: ${same ? 'same tab' : `tab ${st.terminal.current?.cartId} (T${step.from} is on ${from.cartId})`}`)
        break
      }
      case 'add': {
        const st = this.stations[step.t]!
        const cur = st.terminal.current
        const p = this.products(step.t).find((x) => x.id === step.product)
        if (cur === null || p === undefined) {
          this.note(`${desc}: skipped (${cur === null ? 'no tab' : 'not in catalog'})`)
          break
        }
        st.device.run(() => st.terminal.addProduct(p, step.qty))
        this.adds.push({ terminal: st.name, cartId: cur.cartId, productId: p.id, qty: step.qty, step: this.step })
        this.note(`${desc} on ${cur.cartId}`)
        break
      }
      case 'checkout':
        await this.checkout(this.stations[step.t]!, desc)
        break
      case 'checkoutBoth':
        await Promise.all([this.checkout(this.stations[step.t]!, desc), this.checkout(this.stations[step.other]!, desc)])
        break
      case 'net':
        this.stations[step.t]!.proxy.set(step.state)
        this.note(desc)
        break
      case 'reload': {
        const st = this.stations[step.t]!
        await stopNodeTerminal(st.terminal)
        st.terminal = await Floor.boot(this.relay, st.device, st.proxy, st.name)
        this.note(`${desc}: ${st.terminal.client.pending()} pending after reload`)
        break
      }
      case 'relay':
        if (step.action === 'up') await this.relay.start()
        else await this.relay.stop(step.action)
        this.note(desc)
        if (this.relay.running) for (const d of this.deferred.splice(0)) await this.backOffice(d)
        break
      case 'adjust':
      case 'closeVisit':
        if (!this.relay.running) {
          this.deferred.push(step)
          this.note(`${desc}: deferred (relay down)`)
        } else await this.backOffice(step)
        break
      case 'rush':
        this.rush = true
        return
      default: {
        const never: never = step
        throw new Error(`unknown step ${String(never)}`)
      }
    }
    if (!rushed && step.kind !== 'relay' && step.kind !== 'net') await this.quiet()
  }

  private async backOffice(step: Step): Promise<void> {
    const desc = describeStep(step)
    if (step.kind === 'adjust') {
      await this.relay.api('POST', '/stock/adjustments', { productId: step.product, delta: step.delta, note: `night step ${this.step}` })
      this.adjustments.push({ productId: step.product, delta: step.delta, at: new Date() })
      this.note(desc)
    } else if (step.kind === 'closeVisit') {
      const visits = await this.relay.api<Array<{ id: string; bracelets: string[]; exitAt: string | null }>>('GET', '/visits')
      const v = visits.find((x) => x.bracelets.includes(step.bracelet) && x.exitAt === null)
      if (v === undefined) throw new Error(`no open visit wears ${step.bracelet}`)
      const closed = await this.relay.api<{ exitAt: string }>('POST', `/visits/${v.id}/close`)
      this.closed.set(v.id, new Date(closed.exitAt))
      this.note(`${desc}: visit ${v.id} closed at ${closed.exitAt}`)
    }
  }

  /**
   * A bartender's pace: before the next tap, the edits of every terminal that can reach
   * the relay are durable there (so its peers have been sent them). Bounded: a link that
   * looks open may be dead, and that must not stall the night.
   */
  private async quiet(): Promise<void> {
    if (!this.relay.running) return
    await Promise.all(
      this.stations
        .filter((s) => s.proxy.state === 'open' && s.terminal.client.status === 'online')
        .map((s) => waitUntil(() => s.terminal.client.pending() === 0, 1500)),
    )
  }

  private async checkout(st: Station, desc: string): Promise<void> {
    const t = st.terminal
    const cur = t.current
    if (cur === null) return
    const before = new Set(t.tickets.receipts.map((r) => r.id))
    // The customer's way of paying is a property of the tab, so two terminals paying one
    // tab at once pay it the same way (identical content means the same sale).
    const method: PaymentMethod = cur.visitId !== null ? 'visit' : parseInt(cur.cartId.slice(-1), 16) % 2 === 0 ? 'cash' : 'card'
    const lines = readCartLines(cur.cart).length
    const ok = await st.device.run(() => t.checkout(method))
    if (!ok) {
      this.note(`${desc}: ${st.name} no sale (${lines} lines, notice ${t.notice?.key ?? '-'})`)
      return
    }
    for (const r of t.tickets.receipts.filter((x) => !before.has(x.id))) {
      const name = ticketDocName(this.store, r.id)
      const sale = await st.device.run(async () => {
        const doc = await t.client.open(name)
        const s = readSale(doc)
        t.client.release(name)
        return s
      })
      const byName = new Map(this.products().map((p) => [p.name, p]))
      const saleLines =
        sale?.lines.map((l) => ({ productId: l.productId, qty: l.qty, unitPrice: l.unitPrice })) ??
        r.items.map((i) => ({ productId: byName.get(i.name)?.id ?? `?${i.name}`, qty: i.qty, unitPrice: byName.get(i.name)?.price ?? 0 }))
      const rec: SaleRecord = {
        ticketId: r.id,
        terminal: st.name,
        cartId: sale?.cartId ?? cur.cartId,
        visitId: r.visitId,
        total: r.total,
        method: r.method,
        clientTime: r.at,
        lines: saleLines,
        signature: saleSignature(saleLines),
        step: this.step,
      }
      st.sold.add(r.id)
      this.sales.push(rec)
      this.note(`${desc}: ${st.name} sold ${r.id} ${(r.total / 100).toFixed(2)} ${r.method} cart ${rec.cartId} [${rec.signature}]`)
    }
  }

  /** Every link healed and the relay up. */
  async healAll(): Promise<void> {
    for (const s of this.stations) s.proxy.heal()
    await this.relay.start()
    for (const d of this.deferred.splice(0)) await this.backOffice(d)
    this.note('heal all')
  }

  /** Closing time: every terminal goes through its open tabs and takes the money. */
  async closeTabs(): Promise<void> {
    for (const [i, st] of this.stations.entries()) {
      for (const ref of [...st.terminal.tabs]) {
        await st.device.run(() => st.terminal.selectTab(ref.cartId))
        const cur = st.terminal.current
        if (cur !== null && readCartLines(cur.cart).length > 0) await this.checkout(st, `T${i} closing`)
        await this.quiet()
      }
    }
  }

  async close(): Promise<void> {
    for (const s of this.stations) {
      await stopNodeTerminal(s.terminal).catch(() => {})
      await s.proxy.close()
    }
  }
}
