/**
 * The projection bench calls into @tally/projections and @tally/schema/db; loaded from a
 * committed snapshot when one is given, so half-saved files in the shared working tree
 * never decide the numbers.
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type * as Projections from '@tally/projections'
import type * as SchemaDb from '@tally/schema/db'

export interface ProjectionLib {
  readonly createProjector: typeof Projections.createProjector
  readonly seedDemo: typeof Projections.seedDemo
  readonly createUpdateLog: typeof SchemaDb.createUpdateLog
  readonly openDatabase: typeof SchemaDb.openDatabase
  readonly dropSchema: typeof SchemaDb.dropSchema
  readonly tables: typeof SchemaDb.tables
}

export async function loadProjectionLib(root: string | undefined): Promise<ProjectionLib> {
  const at = (rel: string, pkg: string) => (root ? pathToFileURL(join(root, rel)).href : pkg)
  const p = (await import(at('packages/projections/src/index.ts', '@tally/projections'))) as typeof Projections
  const db = (await import(at('packages/schema/src/db/index.ts', '@tally/schema/db'))) as typeof SchemaDb
  return {
    createProjector: p.createProjector,
    seedDemo: p.seedDemo,
    createUpdateLog: db.createUpdateLog,
    openDatabase: db.openDatabase,
    dropSchema: db.dropSchema,
    tables: db.tables,
  }
}
