/**
 * `npm run bench -- terminal`: the terminal's weight and how fast it comes back offline.
 * - initial JavaScript of /pos (entry + static imports), gzip level 9, against the 250 KB budget;
 * - reload to interactive while offline: a paired terminal with the demo catalog loses the
 *   network, is reloaded, and the clock runs until the product grid is on screen again
 *   (service worker app shell + IndexedDB), median over --reps reloads; the same online.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { gzipSync } from 'node:zlib'
import { testBackends } from '@tally/schema/db/testing'
import { launchChromium, TerminalPage } from '../../../tests/e2e/browser.ts'
import { seedDemo, startStack } from '../../../tests/e2e/stack.ts'
import { buildWebOnce, initialScripts, ROOT } from '../../../tests/e2e/web-build.ts'
import { machineInfo } from '../machine.ts'

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}

async function reloadUntilGrid(t: TerminalPage): Promise<number> {
  const t0 = performance.now()
  await t.page.reload()
  await t.page.getByTestId('product').first().waitFor({ timeout: 60_000 })
  return performance.now() - t0
}

export async function terminal(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { reps: { type: 'string', default: '7' } } })
  const reps = Math.max(1, Number(values.reps))
  const dist = await buildWebOnce()
  const files = initialScripts(dist)
  const gzipKB = files.reduce((s, f) => s + gzipSync(readFileSync(join(dist, f)), { level: 9 }).byteLength, 0) / 1024

  const backend = testBackends()[0]!
  const database = await backend.open()
  const stack = await startStack(database)
  await seedDemo(database)
  const browser = await launchChromium()
  const online: number[] = []
  const offline: number[] = []
  try {
    const t = await TerminalPage.open(browser, stack.url, await stack.terminalToken('bench-terminal'))
    await t.waitCatalog()
    for (let i = 0; i < reps; i++) online.push(await reloadUntilGrid(t))
    await t.net.setOnline(false)
    for (let i = 0; i < reps; i++) offline.push(await reloadUntilGrid(t))
  } finally {
    await browser.close()
    await stack.close()
    await database.cleanup()
  }
  const result = {
    bench: 'terminal',
    at: new Date().toISOString(),
    machine: machineInfo(),
    initialJs: { files, gzipKB: Number(gzipKB.toFixed(1)), budgetKB: 250, ratioToBudget: Number((gzipKB / 250).toFixed(2)) },
    reloadToInteractiveMs: { online: { median: Math.round(median(online)), runs: online.map(Math.round) }, offline: { median: Math.round(median(offline)), runs: offline.map(Math.round) } },
  }
  console.log(`/pos initial JS: ${result.initialJs.gzipKB} KB gzip (${result.initialJs.ratioToBudget} of the 250 KB budget)`)
  console.log(`reload to interactive: online ${result.reloadToInteractiveMs.online.median} ms, offline ${result.reloadToInteractiveMs.offline.median} ms (median of ${reps})`)
  const out = join(ROOT, 'bench/results', `terminal-${result.at.slice(0, 16).replace(/[:T]/g, '-')}.json`)
  mkdirSync(join(out, '..'), { recursive: true })
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n')
  console.log(`results written to ${out}`)
}
