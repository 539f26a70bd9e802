/**
 * The standing fuzz suite, REST side: bodies generated from the routes' zod schemas with
 * boundary values, against login, the sale upload and the admin routes, as every kind of
 * caller, beside honest terminals selling over websockets. Checked after every batch:
 * checks.ts (the relay lives, the projection goes on, honest sales are kept, every
 * refusal is audited for its store), and every error is a typed JSON 4xx.
 */
import { afterAll, describe, it } from 'vitest'
import { testBackends } from '@tally/schema/db/testing'
import { fuzzBatches } from './batches.ts'
import { restInput } from './gen-rest.ts'
import { request } from './send-rest.ts'
import { sharedWorld } from './world.ts'

for (const backend of testBackends()) {
  describe(`fuzz: REST bodies on ${backend.name}`, () => {
    const world = sharedWorld(backend.name)
    afterAll(() => world.close())

    it('[FZ1][FZ3][FZ4][FZ5][API5] hostile REST bodies from the zod schemas (year 275760, 2^31, 2^53, NUL, huge strings) never stop the relay or the projection, and each refusal is audited', async () => {
      const w = await world.get()
      await fuzzBatches(w, { suite: 'rest', file: 'rest.test.ts', ruleId: 'hostile REST bodies', runs: 6, batch: 8, arb: restInput, one: (input, label) => request(w, input, label) })
    }, 180_000)
  })
}
