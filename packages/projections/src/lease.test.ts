import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { testBackends, type TestDatabase } from '../../schema/src/db/testing.ts'
import { advanceCheckpoint, createLease, LEASE_ROW, LeaseLostError, StaleCheckpointError } from './lease.ts'
import { readCheckpoint } from './write-rows.ts'
import { query } from './sql-util.ts'

for (const backend of testBackends()) {
  describe(`projector lease on ${backend.name}`, () => {
    let database: TestDatabase
    beforeAll(async () => {
      database = await backend.open()
    })
    afterAll(async () => {
      await database.cleanup()
    })

    it('[PRJ41] a leader whose epoch was taken over cannot commit a batch and becomes a standby', async () => {
      const changes: boolean[] = []
      const lease = createLease(database, { onChange: (c) => changes.push(c.leader) })
      expect(await lease.tryAcquire()).toBe(true)
      const mine = lease.epoch()
      await database.db.transaction(async (tx) => lease.fence(tx)) // our epoch: passes
      // Another projector took the lease meanwhile (its acquisition bumps the epoch).
      await database.db.execute(sql`UPDATE checkpoints SET seq = seq + 1 WHERE name = ${LEASE_ROW}`)
      await expect(
        database.db.transaction(async (tx) => {
          await lease.fence(tx)
          await tx.execute(sql`INSERT INTO checkpoints (name, seq) VALUES ('fenced-write', 1)`)
        }),
      ).rejects.toThrow(LeaseLostError)
      expect(await readCheckpoint(database.db, 'fenced-write')).toBe(0)
      expect(lease.isLeader()).toBe(false)
      expect(changes).toEqual([true, false])
      // Taking it again gets a newer epoch.
      expect(await lease.tryAcquire()).toBe(true)
      expect(lease.epoch()).toBe(mine + 2)
      await lease.release()
    })

    it('[PRJ42] the checkpoint moves only from the value read in the same transaction', async () => {
      await database.db.transaction((tx) => advanceCheckpoint(tx, 'prj42', 0, 10, 'prj42_channel'))
      // A lagging projector that read from 5 must not commit, and greatest() would have let it.
      await expect(database.db.transaction((tx) => advanceCheckpoint(tx, 'prj42', 5, 20, 'prj42_channel'))).rejects.toThrow(StaleCheckpointError)
      expect(await readCheckpoint(database.db, 'prj42')).toBe(10)
      await expect(database.db.transaction((tx) => advanceCheckpoint(tx, 'prj42', 10, 9, 'prj42_channel'))).rejects.toThrow(StaleCheckpointError)
      await database.db.transaction((tx) => advanceCheckpoint(tx, 'prj42', 10, 20, 'prj42_channel'))
      expect(await readCheckpoint(database.db, 'prj42')).toBe(20)
    })

    it.skipIf(backend.name === 'pglite')('[PRJ40] one holder at a time; the lease is free as soon as the holder connection dies', async () => {
      const a = createLease(database)
      const b = createLease(database)
      expect(await a.tryAcquire()).toBe(true)
      expect(await b.tryAcquire()).toBe(false)
      expect(await a.check()).toBe(true)
      // The leader's connection dies (what a kill -9 of its process does).
      const [holder] = await query<{ pid: number }>(
        database.db,
        sql`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND classid = (SELECT (hashtext('tally_projector_lease')::bigint & 4294967295)::oid) AND objid = (SELECT (hashtext(${database.schema})::bigint & 4294967295)::oid)`,
      )
      expect(holder).toBeDefined()
      await database.db.execute(sql`SELECT pg_terminate_backend(${holder?.pid})`)
      await b.acquire(5_000, 50)
      expect(b.isLeader()).toBe(true)
      expect(await a.check()).toBe(false)
      expect(a.isLeader()).toBe(false)
      await b.release()
    })
  })
}
