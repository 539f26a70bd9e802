/**
 * The NATS and Postgres feeds combined. The two inputs here are in-memory feeds the test
 * drives, so it decides which copy of a change arrives first (the real ones race).
 */
import { describe, expect, it } from 'vitest'
import type { ChangeFeed, LogChange } from './change-feed.ts'
import { combineFeeds } from './combined-feed.ts'

function memoryFeed(): ChangeFeed & { push(cs: LogChange[]): void; gap(): void; watched: Set<string>; announced: LogChange[] } {
  const changes = new Set<(cs: readonly LogChange[]) => void>()
  const gaps = new Set<() => void>()
  const watched = new Set<string>()
  const announced: LogChange[] = []
  return {
    watched,
    announced,
    push: (cs) => changes.forEach((cb) => cb(cs)),
    gap: () => gaps.forEach((cb) => cb()),
    watch: (ds) => ds.forEach((d) => watched.add(d)),
    unwatch: (ds) => ds.forEach((d) => watched.delete(d)),
    onChange: (cb) => (changes.add(cb), () => void changes.delete(cb)),
    onGap: (cb) => (gaps.add(cb), () => void gaps.delete(cb)),
    announce: (cs) => void announced.push(...cs),
    close: async () => {},
  }
}

function setup(graceMs = 50) {
  const nats = memoryFeed()
  const pg = memoryFeed()
  const feed = combineFeeds(nats, pg, { graceMs })
  const got: LogChange[] = []
  feed.onChange((cs) => got.push(...cs))
  return { nats, pg, feed, got }
}
const bytes = new Uint8Array([1])

describe('combined NATS + Postgres feed', () => {
  it('[BUS12] NATS first: the row is delivered with its bytes once, and its NOTIFY is dropped', () => {
    const { nats, pg, got } = setup()
    nats.push([{ doc: 'd', seq: 5, origin: 'relay-a', bytes }, { doc: 'd', seq: 6, origin: 'relay-a', bytes }])
    pg.push([{ doc: 'd', seq: 5, origin: 'relay-a' }])
    expect(got.map((c) => [c.seq, c.bytes !== undefined])).toEqual([
      [5, true],
      [6, true],
    ])
  })

  it('[BUS12] NOTIFY first from a writer that announces on NATS: held, and replaced by the NATS copy when it comes', () => {
    const { nats, pg, feed, got } = setup(10_000)
    nats.push([{ doc: 'd', seq: 1, origin: 'relay-a', bytes }])
    pg.push([{ doc: 'd', seq: 3, origin: 'relay-a' }])
    expect(feed.held).toBe(1)
    nats.push([{ doc: 'd', seq: 3, origin: 'relay-a', bytes }])
    expect(feed.held).toBe(0)
    expect(got.map((c) => [c.seq, c.bytes !== undefined])).toEqual([
      [1, true],
      [3, true],
    ])
  })

  it('[BUS12] a NATS message that never comes costs a read: the held NOTIFY is delivered without bytes after the grace', async () => {
    const { nats, pg, got } = setup(30)
    nats.push([{ doc: 'd', seq: 1, origin: 'relay-a', bytes }])
    pg.push([{ doc: 'd', seq: 2, origin: 'relay-a' }])
    expect(got).toHaveLength(1)
    await expect.poll(() => got.length).toBe(2)
    expect(got[1]).toEqual({ doc: 'd', seq: 2, origin: 'relay-a' })
  })

  it('[BUS12] writers that never announce (the projection, REST) are delivered from NOTIFY at once; watch, gaps and announce reach both feeds', () => {
    const { nats, pg, feed, got } = setup(10_000)
    pg.push([{ doc: 'd', seq: 9, origin: 'projection:p1' }])
    expect(got).toEqual([{ doc: 'd', seq: 9, origin: 'projection:p1' }])
    feed.watch(['d', 'e'])
    feed.unwatch(['e'])
    expect([...nats.watched]).toEqual(['d'])
    expect([...pg.watched]).toEqual(['d'])
    let gaps = 0
    feed.onGap(() => gaps++)
    nats.gap()
    pg.gap()
    expect(gaps).toBe(2)
    feed.announce([{ doc: 'd', seq: 10, origin: 'relay-me', bytes }])
    expect(nats.announced).toHaveLength(1)
    expect(pg.announced).toHaveLength(1)
  })
})
