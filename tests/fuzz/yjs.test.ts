/**
 * The standing fuzz suite, document side: structurally valid Yjs updates built to change
 * roots a terminal may not write (pending structs, reused ids, deletions, nested types,
 * GC'd items, origins planted ahead of the projection's next write) and hostile values in
 * the roots it may write, over /mux (sync frames, outbox updates) and /sync, against a
 * relay process with its projection worker. Checked after every batch: checks.ts.
 */
import { afterAll, describe, it } from 'vitest'
import { testBackends } from '@tally/schema/db/testing'
import { fuzzBatches } from './batches.ts'
import { attackInput } from './gen-yjs.ts'
import { attack, targets } from './send-yjs.ts'
import { sharedWorld } from './world.ts'

for (const backend of testBackends()) {
  describe(`fuzz: Yjs updates aimed at forbidden roots on ${backend.name}`, () => {
    const world = sharedWorld(backend.name, targets)
    afterAll(() => world.close())

    it('[FZ2][FZ1][FZ3][FZ4][FZ5] pending structs, reused ids, deletions, nested types, GC\'d items and planted origins never change a forbidden root; hostile values never stop the projection', async () => {
      const w = await world.get()
      await fuzzBatches(w, { suite: 'yjs', file: 'yjs.test.ts', ruleId: 'forbidden root', runs: 8, batch: 6, arb: attackInput, one: (a, label) => attack(w, a, label) })
    }, 180_000)
  })
}
