/**
 * The terminal's first load: the JavaScript that /pos needs before it can sell (the entry
 * script and its static imports) stays under 250 KB gzip, and the back office's weight
 * (chart.js) is not in it.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildWebOnce, initialScripts } from './web-build.ts'

export const POS_BUDGET_GZIP = 250 * 1024

describe('terminal bundle', () => {
  let dist = ''
  beforeAll(async () => {
    dist = await buildWebOnce()
  }, 240_000)

  it('[POS11] the initial JavaScript of /pos is at most 250 KB gzip and has no chart.js', () => {
    const files = initialScripts(dist)
    expect(files.length).toBeGreaterThan(0)
    const gz = files.reduce((sum, f) => sum + gzipSync(readFileSync(join(dist, f)), { level: 9 }).byteLength, 0)
    console.log(`/pos initial JS: ${files.join(', ')} = ${(gz / 1024).toFixed(1)} KB gzip`)
    expect(gz).toBeLessThanOrEqual(POS_BUDGET_GZIP)
    for (const f of files) {
      const code = readFileSync(join(dist, f), 'utf8')
      expect(code).not.toMatch(/Chart\.js v\d|chartjs/)
      expect(code).not.toMatch(/drizzle|pglite|postgres-js/i)
    }
  })
})
