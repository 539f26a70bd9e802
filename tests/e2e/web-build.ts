/**
 * The e2e tests serve the same build `npm start` serves: apps/web/scripts/build.ts builds
 * once per set of inputs (a lock per input hash, so parallel workers build once) and
 * points apps/web/dist at the finished build.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildWeb, ROOT, WEB_DIST } from '../../apps/web/scripts/build.ts'

export { ROOT, WEB_DIST }

export async function buildWebOnce(): Promise<string> {
  await buildWeb()
  return WEB_DIST
}

/** Entry scripts and modulepreloads of index.html, then their static imports, transitively. */
export function initialScripts(dist: string): string[] {
  const html = readFileSync(join(dist, 'index.html'), 'utf8')
  const queue = [...html.matchAll(/<(?:script[^>]*type="module"[^>]*src|link[^>]*rel="modulepreload"[^>]*href)="\/([^"]+\.js)"/g)].map((m) => m[1]!)
  const seen = new Set<string>()
  while (queue.length > 0) {
    const file = queue.shift()!
    if (seen.has(file)) continue
    seen.add(file)
    const code = readFileSync(join(dist, file), 'utf8')
    // Static imports only (`import{..}from"./x.js"` / `import"./x.js"`); `import("...")` is lazy.
    for (const m of code.matchAll(/(?:^|[;\n}])\s*import\s*(?:[^"'()]*?from\s*)?["']\.\/([^"']+\.js)["']/g)) queue.push(`assets/${m[1]!}`)
  }
  return [...seen]
}
