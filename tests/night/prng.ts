/**
 * A small seeded PRNG (sfc32, seeded through splitmix32) so a night is replayed exactly
 * from its seed. Never seeded from the clock: the seed is printed on failure and taken
 * from NIGHT_SEED to replay.
 */
export interface Rng {
  readonly seed: number
  /** [0, 1) */
  next(): number
  int(lo: number, hiInclusive: number): number
  pick<T>(items: readonly T[]): T
  chance(p: number): boolean
  /** One of the keys, with probability proportional to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K
}

export function createRng(seed: number): Rng {
  let s = seed >>> 0
  const split = (): number => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
  let a = split(), b = split(), c = split(), d = split()
  const next = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0
    d = (d + 1) >>> 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) >>> 0
    c = ((c << 21) | (c >>> 11)) >>> 0
    c = (c + t) >>> 0
    return t / 4294967296
  }
  for (let i = 0; i < 12; i++) next()
  const rng: Rng = {
    seed: seed >>> 0,
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from nothing')
      return items[Math.floor(next() * items.length)] as (typeof items)[number]
    },
    chance: (p) => next() < p,
    weighted: (weights) => {
      const entries = Object.entries(weights) as Array<[keyof typeof weights, number]>
      let r = next() * entries.reduce((s, [, w]) => s + w, 0)
      for (const [k, w] of entries) {
        r -= w
        if (r < 0) return k
      }
      return entries[entries.length - 1]![0]
    },
  }
  return rng
}
