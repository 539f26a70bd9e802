/**
 * Builds apps/web once for all e2e files (vitest may run them in parallel workers): a
 * directory lock, and a stamp so an up-to-date dist is not rebuilt.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const WEB_DIST = join(ROOT, 'apps/web/dist')
// index.html is written last by `vite build` (CI's `npm run build:web` counts too).
const STAMP = join(WEB_DIST, 'index.html')
const LOCK = join(ROOT, 'apps/web/.e2e-build-lock')
const INPUTS = ['apps/web/src', 'apps/web/index.html', 'apps/web/vite.config.ts', 'packages/schema/src', 'packages/client/src']

function newest(path: string): number {
  const st = statSync(path)
  if (!st.isDirectory()) return st.mtimeMs
  return readdirSync(path).reduce((m, f) => Math.max(m, newest(join(path, f))), st.mtimeMs)
}

function upToDate(): boolean {
  if (!existsSync(STAMP) || !existsSync(join(WEB_DIST, 'sw.js'))) return false
  const built = statSync(STAMP).mtimeMs
  return INPUTS.every((p) => !existsSync(join(ROOT, p)) || newest(join(ROOT, p)) <= built)
}

export async function buildWebOnce(): Promise<string> {
  const deadline = Date.now() + 180_000
  for (;;) {
    if (upToDate()) return WEB_DIST
    try {
      mkdirSync(LOCK)
      break
    } catch {
      // Another worker is building; a lock older than 3 minutes is stale.
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > 180_000) rmSync(LOCK, { recursive: true, force: true })
      if (Date.now() > deadline) throw new Error('timed out waiting for the web build lock')
      await new Promise((r) => setTimeout(r, 250))
    }
  }
  try {
    if (!upToDate()) {
      // vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
      execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], {
        cwd: join(ROOT, 'apps/web'),
        stdio: 'inherit',
        env: { ...process.env, NODE_ENV: 'production' },
      })
    }
  } finally {
    rmSync(LOCK, { recursive: true, force: true })
  }
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
