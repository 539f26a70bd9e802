// Creates a PGlite cluster in the directory given as the first argument, then exits.
// open.ts runs this in a child process: the PGlite instance that ran initdb keeps
// initdb's memory (about 450 MiB resident, measured) for as long as it lives.
import { PGlite } from '@electric-sql/pglite'

try {
  const db = await PGlite.create(process.argv[2])
  await db.close()
} catch (err) {
  // PGlite's filesystem errors carry only an errno; say at least that.
  const e = /** @type {{ message?: string, errno?: number }} */ (err)
  console.error(e?.message || (e?.errno !== undefined ? `filesystem error (errno ${e.errno})` : String(err)))
  process.exit(1)
}
