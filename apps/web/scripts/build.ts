/**
 * Builds the web app without ever touching the folder the relay serves.
 *
 * `apps/web/dist` is a symlink to one complete build in `apps/web/builds/<hash>`, where
 * the hash covers every input of the bundle (sources, config, public files, lockfile).
 * A build goes into a private temporary folder, is checked (index.html and sw.js are
 * there), is renamed to its final name, and only then does the symlink move, by a
 * rename over it, which is atomic: a relay serving `dist` always sees one whole build.
 * Two starts at once build once (a lock per hash; the other waits and reuses it), and a
 * start whose inputs have not changed does not build at all. The previous build is kept
 * so a page loaded just before a swap still finds its hashed assets.
 *
 * Run: `tsx apps/web/scripts/build.ts` (what `npm start` and `npm run build:web` do).
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const WEB = join(ROOT, 'apps/web')
export const WEB_DIST = join(WEB, 'dist')
export const BUILDS = join(WEB, 'builds')
const INPUTS = ['apps/web/scripts/build.ts', 'apps/web/src', 'apps/web/public', 'apps/web/index.html', 'apps/web/vite.config.ts', 'packages/schema/src', 'packages/client/src', 'package-lock.json']
/** Files a build must contain to be served: the shell and the service worker. */
export const REQUIRED = ['index.html', 'sw.js', 'manifest.webmanifest']
const COMPLETE = '.complete'
const LOCK_STALE_MS = 10 * 60_000
const KEEP_BUILDS = 2
const RECENTLY_SERVED_MS = 10 * 60_000

function* files(path: string): Generator<string> {
  if (!existsSync(path)) return
  if (!statSync(path).isDirectory()) {
    yield path
    return
  }
  for (const name of readdirSync(path).sort()) {
    // Tests do not reach the bundle: editing one must not cost a rebuild.
    if (/\.test\.tsx?$/.test(name)) continue
    yield* files(join(path, name))
  }
}

/** The content hash of every input of the bundle (`salt` lets tests force a new one). */
export function inputsHash(salt = ''): string {
  const h = createHash('sha256').update(salt)
  for (const input of INPUTS) {
    for (const f of files(join(ROOT, input))) {
      h.update(relative(ROOT, f)).update('\0').update(readFileSync(f)).update('\0')
    }
  }
  return h.digest('hex').slice(0, 16)
}

const isComplete = (dir: string): boolean => existsSync(join(dir, COMPLETE)) && REQUIRED.every((f) => existsSync(join(dir, f)))

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Take the per-hash lock, or report who holds it. A lock of a dead process is taken over. */
function tryLock(lock: string): boolean {
  try {
    mkdirSync(lock)
    writeFileSync(join(lock, 'pid'), String(process.pid))
    return true
  } catch {
    let pid = NaN
    try {
      pid = Number(readFileSync(join(lock, 'pid'), 'utf8'))
    } catch {
      // The holder has made the folder but not yet written its pid.
    }
    const old = existsSync(lock) && Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS
    if ((Number.isInteger(pid) && !alive(pid)) || old) rmSync(lock, { recursive: true, force: true })
    return false
  }
}

/** Point `dist` at `target` by renaming a new symlink over it: readers never see it missing. */
function swapDist(target: string): void {
  const link = relative(WEB, target)
  // Mark it as just served, so a concurrent prune leaves it alone.
  utimesSync(target, new Date(), new Date())
  const st = lstatSync(WEB_DIST, { throwIfNoEntry: false })
  if (st?.isSymbolicLink() && readlinkSync(WEB_DIST) === link) return
  if (st !== undefined && !st.isSymbolicLink()) {
    // A folder from before builds were kept apart: move it aside once (another start
    // may have moved it already).
    try {
      renameSync(WEB_DIST, join(BUILDS, `legacy-${process.pid}-${Date.now()}`))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
  }
  const tmp = `${WEB_DIST}.${process.pid}.tmp`
  rmSync(tmp, { force: true })
  symlinkSync(link, tmp)
  renameSync(tmp, WEB_DIST)
}

/**
 * Keep the build being served, the one before it, and any build served in the last
 * minutes (another start may have just pointed `dist` at it); temporary folders of
 * builds whose process died go.
 */
function prune(current: string): void {
  const served = resolve(WEB, readlinkSync(WEB_DIST))
  const entries = readdirSync(BUILDS)
    .filter((n) => !n.endsWith('.lock'))
    .map((n) => ({ n, path: join(BUILDS, n), at: statSync(join(BUILDS, n)).mtimeMs }))
  const done = entries
    .filter((e) => !e.n.includes('.tmp-') && e.path !== current && e.path !== served)
    .sort((a, b) => b.at - a.at)
  for (const e of done.slice(KEEP_BUILDS - 1)) {
    if (Date.now() - e.at > RECENTLY_SERVED_MS) rmSync(e.path, { recursive: true, force: true })
  }
  for (const e of entries) {
    const pid = Number(/\.tmp-(\d+)-/.exec(e.n)?.[1])
    if (Number.isInteger(pid) && !alive(pid)) rmSync(e.path, { recursive: true, force: true })
  }
}

const COMPRESSIBLE = /\.(js|css|html|svg|webmanifest|json)$/
/**
 * Brotli and gzip copies beside every text asset, made once at build time so the relay
 * serves them by content negotiation without compressing on each request. A copy that
 * saves less than a tenth is not worth a second file.
 */
function precompress(dir: string): void {
  for (const f of files(dir)) {
    if (!COMPRESSIBLE.test(f)) continue
    const raw = readFileSync(f)
    const br = brotliCompressSync(raw, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: raw.length } })
    if (br.length < raw.length * 0.9) writeFileSync(`${f}.br`, br)
    const gz = gzipSync(raw, { level: 9 })
    if (gz.length < raw.length * 0.9) writeFileSync(`${f}.gz`, gz)
  }
}

export interface BuildResult {
  dir: string
  built: boolean
}

/** Build (or reuse) the bundle for the current inputs and serve it from `dist`. */
export async function buildWeb(opts: { salt?: string; log?: (msg: string) => void } = {}): Promise<BuildResult> {
  const log = opts.log ?? (() => {})
  mkdirSync(BUILDS, { recursive: true })
  const hash = inputsHash(opts.salt)
  const dir = join(BUILDS, hash)
  const lock = `${dir}.lock`
  let built = false
  for (;;) {
    if (isComplete(dir)) break
    if (!tryLock(lock)) {
      await new Promise((r) => setTimeout(r, 200))
      continue
    }
    try {
      if (isComplete(dir)) break
      rmSync(dir, { recursive: true, force: true })
      const tmp = join(BUILDS, `${hash}.tmp-${process.pid}-${Date.now()}`)
      log(`building the web app (${hash})`)
      // vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
      execFileSync('npx', ['vite', 'build', '--logLevel', 'warn', '--outDir', tmp, '--emptyOutDir'], {
        cwd: WEB,
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, NODE_ENV: 'production' },
      })
      const missing = REQUIRED.filter((f) => !existsSync(join(tmp, f)))
      if (missing.length > 0) throw new Error(`web build is incomplete: ${missing.join(', ')} missing in ${tmp}`)
      precompress(tmp)
      writeFileSync(join(tmp, COMPLETE), new Date().toISOString())
      renameSync(tmp, dir)
      built = true
    } finally {
      rmSync(lock, { recursive: true, force: true })
    }
  }
  swapDist(dir)
  prune(dir)
  return { dir, built }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now()
  // WEB_BUILD_SALT forces a build of its own (tests of concurrent starts use it).
  buildWeb({ salt: process.env.WEB_BUILD_SALT ?? '', log: (m) => console.log(m) }).then(
    (r) => console.log(r.built ? `web app built in ${((Date.now() - started) / 1000).toFixed(1)} s` : 'web app up to date'),
    (err: unknown) => {
      console.error(`web build failed: ${err instanceof Error ? err.message : String(err)}`)
      process.exit(1)
    },
  )
}
