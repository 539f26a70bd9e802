/**
 * Two rounds commit at once on Postgres; whatever order their commits finish in, the
 * relay sees them in the order they started, and a failed round fails only its own
 * updates. Runs on a real log (PGlite here); only the moment each append returns is held.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { createUpdateLog, type AppendInput, type UpdateLog } from '@tally/schema/db'
import { testBackends, type TestDatabase } from '@tally/schema/db/testing'
import { createGroupCommitter, RowRefusedError, type Committed } from './group-commit.ts'

const backend = testBackends()[0]!

function input(doc: string, id: string): AppendInput {
  const d = new Y.Doc()
  d.getMap('lines').set(id, 1)
  return { doc, store: 's', updateId: id, bytes: Y.encodeStateAsUpdate(d), actor: 'terminal:t' }
}

/** The real log, with each append call's result held until the test releases it. */
function heldLog(log: UpdateLog) {
  const calls: Array<{ ids: string[]; release: (fail?: Error) => void; committed: Promise<void> }> = []
  let announce: () => void = () => {}
  const wrapped: UpdateLog = {
    ...log,
    channel: log.channel,
    async append(batch) {
      let release!: (fail?: Error) => void
      const held = new Promise<Error | undefined>((r) => (release = r))
      const result = log.append(batch)
      let done!: () => void
      const committed = new Promise<void>((r) => (done = r))
      void result.then(() => done())
      calls.push({ ids: batch.map((b) => b.updateId ?? ''), release, committed })
      announce()
      const fail = await held
      if (fail) throw fail
      return result
    },
  }
  const nextCall = (n: number) =>
    new Promise<void>((resolve) => {
      const check = () => (calls.length >= n ? resolve() : (announce = check))
      check()
    })
  return { log: wrapped, calls, nextCall }
}

describe(`group commit on ${backend.name}`, () => {
  let database: TestDatabase
  beforeAll(async () => {
    database = await backend.open()
  })
  afterAll(() => database.cleanup())

  /**
   * A committer over a held log with two rounds in flight, recording each delivered
   * round's ids; one update is appended, then a second once the first round has started.
   */
  async function twoRounds(origin: string, docs: [string, string], ids: [string, string]) {
    const held = heldLog(createUpdateLog(database, origin))
    const delivered: string[][] = []
    const committer = createGroupCommitter(held.log, {
      maxBatch: 100,
      maxInFlight: 2,
      onCommitted: (round: readonly Committed[]) => delivered.push(round.map((c) => c.input.updateId ?? '')),
    })
    const first = committer.append(input(docs[0], ids[0]))
    await held.nextCall(1)
    const second = committer.append(input(docs[1], ids[1]))
    await held.nextCall(2)
    return { held, delivered, committer, first, second }
  }

  it('[RLY12] a round that commits while an earlier one is still committing is delivered after it', async () => {
    const { held, delivered, committer, first, second } = await twoRounds('relay-a', ['s/cart/g1', 's/cart/g1b'], ['a1', 'a2'])
    expect(held.calls.map((c) => c.ids)).toEqual([['a1'], ['a2']])
    // The second round's insert has committed and its append returned; the first has not.
    await held.calls[1]!.committed
    held.calls[1]!.release()
    let secondDone = false
    void second.then(() => (secondDone = true))
    await new Promise((r) => setImmediate(r))
    expect(secondDone).toBe(false)
    expect(delivered).toEqual([])
    held.calls[0]!.release()
    const [r1, r2] = await Promise.all([first, second])
    expect(delivered).toEqual([['a1'], ['a2']])
    expect(r1.duplicate || r2.duplicate).toBe(false)
    await committer.drain()
  })

  it('[RLY12] a failed round rejects its own updates; the round after it still commits and is delivered', async () => {
    const { held, delivered, committer, first, second } = await twoRounds('relay-b', ['s/cart/g2', 's/cart/g2b'], ['b1', 'b2'])
    held.calls[1]!.release()
    held.calls[0]!.release(new Error('connection lost'))
    await expect(first).rejects.toThrow('connection lost')
    const r2 = await second
    expect(r2.seq).toBeGreaterThan(0)
    expect(delivered).toEqual([['b2']])
    await committer.drain()
  })

  it('[RLY12] a document\'s updates never commit in two rounds at once, and a failed round fails the ones queued behind it on its documents', async () => {
    const held = heldLog(createUpdateLog(database, 'relay-c'))
    const delivered: string[][] = []
    const committer = createGroupCommitter(held.log, {
      maxBatch: 100,
      maxInFlight: 2,
      onCommitted: (round: readonly Committed[]) => delivered.push(round.map((c) => c.input.updateId ?? '')),
    })
    const first = committer.append(input('s/cart/o1', 'c1'))
    await held.nextCall(1)
    // Queued while c1 commits: the other document's update starts a round beside it, the
    // round is cut before the same document's.
    const other = committer.append(input('s/cart/o2', 'c2'))
    const later = committer.append(input('s/cart/o1', 'c3'))
    await held.nextCall(2)
    expect(held.calls.map((c) => c.ids)).toEqual([['c1'], ['c2']])
    held.calls[1]!.release()
    held.calls[0]!.release(new Error('connection lost'))
    await expect(first).rejects.toThrow('connection lost')
    // c3 was queued behind c1 on the same document: it fails with it, never alone in the log.
    await expect(later).rejects.toThrow('connection lost')
    expect((await other).seq).toBeGreaterThan(0)
    expect(held.calls.flatMap((c) => c.ids)).not.toContain('c3')
    expect(delivered).toEqual([['c2']])
    await committer.drain()
  })

  it('[RLY12] a document\'s updates queued behind its committing round keep their order in the log', async () => {
    const held = heldLog(createUpdateLog(database, 'relay-d'))
    const committer = createGroupCommitter(held.log, { maxBatch: 100, maxInFlight: 2, onCommitted: () => {} })
    const a = committer.append(input('s/cart/p1', 'd1'))
    await held.nextCall(1)
    const b = committer.append(input('s/cart/p1', 'd2'))
    const c = committer.append(input('s/cart/p1', 'd3'))
    // Nothing starts beside d1: its document is committing.
    await new Promise((r) => setImmediate(r))
    expect(held.calls.length).toBe(1)
    held.calls[0]!.release()
    await held.nextCall(2)
    expect(held.calls[1]!.ids).toEqual(['d2', 'd3'])
    held.calls[1]!.release()
    const [ra, rb, rc] = await Promise.all([a, b, c])
    expect(ra.seq).toBeLessThan(rb.seq)
    expect(rb.seq).toBeLessThan(rc.seq)
    await committer.drain()
  })
})

for (const each of testBackends()) {
  describe(`a bad row in a round on ${each.name}`, () => {
    let database: TestDatabase
    beforeAll(async () => {
      database = await each.open()
    })
    afterAll(() => database.cleanup())

    it('[RLY12] one update the log cannot store (a NUL in its id) is refused alone; every other update of its round commits', async () => {
      const delivered: string[][] = []
      const committer = createGroupCommitter(createUpdateLog(database, 'relay-nul'), {
        maxBatch: 100,
        onCommitted: (round: readonly Committed[]) => delivered.push(round.map((c) => c.input.updateId ?? '')),
      })
      // Queued in one tick: one round.
      const good1 = committer.append(input('a/cart/n1', 'ok-1'))
      const bad = committer.append(input('b/cart/n2', 'bad\u0000id'))
      const good2 = committer.append(input('c/cart/n3', 'ok-2'))
      await expect(bad).rejects.toBeInstanceOf(RowRefusedError)
      const [r1, r2] = await Promise.all([good1, good2])
      expect(r1.seq).toBeGreaterThan(0)
      expect(r2.seq).toBeGreaterThan(r1.seq)
      expect(delivered).toEqual([['ok-1', 'ok-2']])
      await committer.drain()
    })
  })
}
