/**
 * The night's plan, drawn from the seed alone (never from timing), so a seed names one
 * night: which terminal serves whom, what it sells, when links break and heal, when the
 * relay dies. Steps that turn out impossible when run (a checkout of an empty tab, an
 * adjustment while the relay is down) are skipped by the driver, not redrawn.
 */
import type { LinkState } from '../helpers/tcp-proxy.ts'
import type { Rng } from './prng.ts'

export type Step =
  /** Scan a member's bracelet: opens (or joins) the visit's tab. */
  | { kind: 'scan'; t: number; bracelet: string }
  /** A walk-in customer: a fresh tab. */
  | { kind: 'walkIn'; t: number }
  /** Join the tab terminal `from` is showing (by its id, or by scanning the same bracelet). */
  | { kind: 'join'; t: number; from: number }
  | { kind: 'add'; t: number; product: string; qty: number }
  | { kind: 'checkout'; t: number }
  /** Two terminals on one tab press "pay" at the same moment. */
  | { kind: 'checkoutBoth'; t: number; other: number }
  | { kind: 'net'; t: number; state: LinkState }
  /** The browser tab is reloaded: a new Terminal and client on the same IndexedDB and storage. */
  | { kind: 'reload'; t: number }
  | { kind: 'relay'; action: 'kill9' | 'clean' | 'up' }
  | { kind: 'adjust'; product: string; delta: number }
  /** The back office closes a visit; terminals that have not heard still sell on it. */
  | { kind: 'closeVisit'; bracelet: string }
  /** Do not wait for the previous step's edits to reach the relay before the next one. */
  | { kind: 'rush' }

export interface PlanOptions {
  terminals: number
  /** Customer episodes (each ends in one or two checkouts). */
  episodes: number
  bracelets: readonly string[]
  /** Product ids, scarce ones listed with more weight. */
  products: readonly string[]
  scarce: readonly string[]
  /** Relay deaths: SIGKILL and clean restarts, each followed by an outage of a few episodes. */
  kill9: number
  clean: number
  /** A visit the back office closes around the middle of the night, if any. */
  closing?: string
}

export function planNight(rng: Rng, o: PlanOptions): Step[] {
  const steps: Step[] = []
  const other = (t: number): number => (t + rng.int(1, o.terminals - 1)) % o.terminals
  const product = (): string => (rng.chance(0.35) ? rng.pick(o.scarce) : rng.pick(o.products))
  const adds = (t: number, n: number): void => {
    for (let i = 0; i < n; i++) steps.push({ kind: 'add', t, product: product(), qty: rng.chance(0.8) ? 1 : rng.int(2, 3) })
  }
  const open = (t: number): void => {
    if (rng.chance(0.7)) steps.push({ kind: 'scan', t, bracelet: rng.pick(o.bracelets) })
    else steps.push({ kind: 'walkIn', t })
  }
  // Relay deaths at seeded episodes, each down for 1..3 episodes.
  const deaths = new Map<number, 'kill9' | 'clean'>()
  const kinds = [...Array<'kill9'>(o.kill9).fill('kill9'), ...Array<'clean'>(o.clean).fill('clean')]
  kinds.forEach((how, i) => {
    const slot = Math.floor(((i + 0.5) / kinds.length) * o.episodes) + rng.int(-2, 2)
    deaths.set(Math.max(1, Math.min(o.episodes - 2, slot)), how)
  })
  let upAt = -1
  const closeAt = o.closing === undefined ? -1 : Math.floor(o.episodes * (0.45 + rng.next() * 0.2))
  for (let e = 0; e < o.episodes; e++) {
    if (e === closeAt && o.closing !== undefined) steps.push({ kind: 'closeVisit', bracelet: o.closing })
    const how = deaths.get(e)
    if (how !== undefined && upAt < 0) {
      // The relay dies right after a checkout, while its updates are still in flight.
      const t = rng.int(0, o.terminals - 1)
      open(t)
      adds(t, rng.int(1, 2))
      steps.push({ kind: 'rush' }, { kind: 'checkout', t }, { kind: 'relay', action: how })
      upAt = e + rng.int(1, 3)
    }
    if (e === upAt) {
      steps.push({ kind: 'relay', action: 'up' })
      upAt = -1
    }
    const t = rng.int(0, o.terminals - 1)
    const r = rng.next()
    if (r < 0.15) {
      // A link breaks or heals; stalls and blackholes are the cruel ones.
      const state = rng.weighted({ cut: 3, blackhole: 2, stall: 2, open: 4 } as const)
      steps.push({ kind: 'net', t, state })
    } else if (r < 0.2) {
      steps.push({ kind: 'reload', t })
    } else if (r < 0.23) {
      steps.push({ kind: 'adjust', product: rng.pick(o.scarce), delta: rng.int(1, 3) })
    }
    if (rng.chance(0.45)) {
      // Two terminals on one tab; one of them often partitioned while both keep selling.
      const u = other(t)
      open(t)
      adds(t, rng.int(1, 2))
      steps.push({ kind: 'join', t: u, from: t })
      if (rng.chance(0.5)) steps.push({ kind: 'net', t: u, state: rng.weighted({ cut: 2, blackhole: 1, stall: 1 } as const) })
      adds(u, rng.int(0, 2))
      if (o.terminals > 2 && rng.chance(0.3)) {
        // A third bartender on the same member's tab.
        const w = [...Array(o.terminals).keys()].filter((x) => x !== t && x !== u)[rng.int(0, o.terminals - 3)]!
        steps.push({ kind: 'join', t: w, from: t })
        adds(w, rng.int(1, 2))
        if (rng.chance(0.5)) steps.push({ kind: 'checkout', t: w })
      }
      adds(t, rng.int(0, 1))
      if (rng.chance(0.4)) steps.push({ kind: 'checkoutBoth', t, other: u })
      else {
        steps.push({ kind: 'checkout', t })
        if (rng.chance(0.2)) steps.push({ kind: 'rush' })
        if (rng.chance(0.6)) steps.push({ kind: 'checkout', t: u })
      }
      if (rng.chance(0.6)) steps.push({ kind: 'net', t: u, state: 'open' })
    } else {
      open(t)
      adds(t, rng.int(1, 3))
      if (rng.chance(0.15)) steps.push({ kind: 'rush' })
      steps.push({ kind: 'checkout', t })
    }
  }
  if (upAt >= 0) steps.push({ kind: 'relay', action: 'up' })
  return steps
}

export function describeStep(s: Step): string {
  switch (s.kind) {
    case 'scan':
      return `T${s.t} scan ${s.bracelet}`
    case 'walkIn':
      return `T${s.t} walk-in`
    case 'join':
      return `T${s.t} joins T${s.from}'s tab`
    case 'add':
      return `T${s.t} +${s.qty} ${s.product}`
    case 'checkout':
      return `T${s.t} checkout`
    case 'checkoutBoth':
      return `T${s.t}+T${s.other} checkout at once`
    case 'net':
      return `T${s.t} link ${s.state}`
    case 'reload':
      return `T${s.t} reload`
    case 'relay':
      return `relay ${s.action}`
    case 'adjust':
      return `adjust ${s.product} +${s.delta}`
    case 'closeVisit':
      return `close the visit of ${s.bracelet}`
    case 'rush':
      return 'rush'
    default: {
      const never: never = s
      return String(never)
    }
  }
}
