/**
 * Test fixture run as a child process (tsx) by kill.test.ts: projects the backlog of the
 * database named in TALLY_TEST_DB (JSON open options), printing a line per committed
 * batch, so the parent can SIGKILL it in the middle of the work.
 */
import { openDatabase } from '@tally/schema/db'
import { createProjector } from './worker.ts'

const opts = JSON.parse(process.env.TALLY_TEST_DB ?? '{}') as { url?: string; dataDir?: string; schema?: string }
const database = await openDatabase({ ...opts, max: 2 })
const projector = createProjector({
  database,
  batchSize: Number(process.env.TALLY_TEST_BATCH ?? 200),
  onBatch: (b) => process.stdout.write(`batch ${b.checkpoint} ${b.projected}\n`),
})
const r = await projector.runOnce()
process.stdout.write(`done ${r.lastSeq}\n`)
await database.close()
