/**
 * The standing fuzz suite, websocket side: hostile upgrade request targets, query
 * strings and tokens, and raw /sync and /mux frames, against a real relay process with
 * its projection worker, while honest terminals (the mux client and a stock y-websocket
 * provider, in the attacked store and in another) keep selling. After every batch the
 * promises of checks.ts are checked. Seeded: FUZZ_SEED / FUZZ_RUNS / FUZZ_BATCH.
 */
import { afterAll, describe, it } from 'vitest'
import fc from 'fast-check'
import { uuidv7 } from '@tally/schema'
import { testBackends } from '@tally/schema/db/testing'
import { fuzzBatches } from './batches.ts'
import { muxFrame, syncFrame, upgradeInput, type FrameSpec } from './gen-wire.ts'
import { hit } from './send-wire.ts'
import { sharedWorld } from './world.ts'

const frameInput = (frames: fc.Arbitrary<FrameSpec>, mux: boolean) =>
  fc.record({ frames: fc.array(frames, { minLength: 1, maxLength: 4 }), acks: fc.boolean(), mux: fc.constant(mux) })

for (const backend of testBackends()) {
  describe(`fuzz: websocket traffic on ${backend.name}`, () => {
    const world = sharedWorld(backend.name)
    afterAll(() => world.close())

    it('[FZ1][FZ3][FZ4][FZ5][RLY5] hostile upgrade paths, query strings and tokens never stop the relay, each refusal is audited, honest sales go on', async () => {
      const w = await world.get()
      await fuzzBatches(w, { suite: 'wire-upgrade', file: 'wire.test.ts', ruleId: 'upgrade paths', runs: 6, batch: 8, arb: upgradeInput, one: (input, label) => hit(w, input, label) })
    }, 180_000)

    it('[RLY5][FZ1][FZ3][FZ4][FZ5] raw /sync and /mux frames (random bytes, truncated varints, huge lengths, unknown types, oversize) get typed answers while others keep syncing', async () => {
      const w = await world.get()
      await fuzzBatches(w, {
        suite: 'wire-frames',
        file: 'wire.test.ts',
        ruleId: 'raw /sync and /mux frames',
        runs: 6,
        batch: 6,
        arb: fc.oneof(frameInput(muxFrame, true), frameInput(syncFrame, false)),
        one: (input, label) =>
          hit(w, { path: input.mux ? '/mux' : `/sync/store1/cart/${uuidv7()}`, query: { token: 'valid', garbage: '', acks: input.acks ? '1' : null, extra: '', escape: true }, frames: input.frames }, label),
      })
    }, 180_000)
  })
}
