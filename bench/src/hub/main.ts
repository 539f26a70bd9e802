/**
 * `npm run bench -- hub [--terminals 10] [--sales 300] [--no-postgres]`: a store hub
 * after an hour offline of a busy bar. Central (Postgres when reachable, else PGlite)
 * and the hub (PGlite) are real processes. The bench measures:
 *   - the hub's terminal-ack latency with no forwarding running (central linked, idle);
 *   - the backlog: `terminals` × `sales` sales written to the hub while central is down
 *     (each sale: two cart edits, the ticket, the visit's consumption entry);
 *   - central's return: time until central holds every row (the hub reports 0 behind),
 *     forwarding throughput in rows/s and bytes/s;
 *   - the hub's ack latency while it forwards (the same probe, run during catch-up);
 *   - the hub's RSS (peak while forwarding, from /proc).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { SignJWT } from 'jose'
import postgres from 'postgres'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { Mux, decodeMux, encodeMux, uuidv7, type MuxFrame } from '@tally/schema'
import { REPO_ROOT } from '../servers/spawn.ts'
import { machineInfo } from '../machine.ts'

const CENTRAL_SECRET = 'tally-bench-central-secret-0123456789'
const HUB_SECRET = 'tally-bench-hub-secret-0123456789'
const STORE = 'bench'

function sign(secret: string, role: string, sub: string): Promise<string> {
  return new SignJWT({ role, store: STORE })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + 24 * 3600)
    .sign(new TextEncoder().encode(secret))
}

interface Proc {
  child: ChildProcess
  port: number
  exited: Promise<void>
}

function start(env: Record<string, string>): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/relay/src/main.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: '0', DEMO: '0', PROJECTOR: '0', LOG_LEVEL: 'warn', WEB_DIST: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  let out = ''
  let err = ''
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()))
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /Relay:\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(out)
      if (m) resolve({ child, port: Number(m[1]), exited })
    })
    child.once('exit', (code) => reject(new Error(`relay exited (${code}): ${err}`)))
  })
}

interface Mx {
  ws: WebSocket
  acks: Map<string, number>
  onAck: ((id: string) => void) | null
}
function mux(url: string): Promise<Mx> {
  const ws = new WebSocket(url, { perMessageDeflate: false })
  const m: Mx = { ws, acks: new Map(), onAck: null }
  const take = (f: MuxFrame) => {
    if (f.type === Mux.batch) for (const i of f.frames) {
      const d = decodeMux(i)
      if (d.ok) take(d.value)
    }
    if (f.type === Mux.ack) for (const a of f.acks) {
      m.acks.set(a.updateId, a.seq)
      m.onAck?.(a.updateId)
    }
  }
  ws.on('message', (data: Buffer) => {
    const d = decodeMux(new Uint8Array(data))
    if (d.ok) take(d.value)
  })
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(m))
    ws.once('error', reject)
  })
}

/** Sequential one-at-a-time updates on one cart; returns each ack's latency in ms. */
async function ackProbe(url: string, n: number, stopWhen?: () => boolean): Promise<number[]> {
  const c = await mux(url)
  const y = new Y.Doc()
  const doc = `${STORE}/cart/${uuidv7()}`
  const out: number[] = []
  for (let i = 0; i < n && !(stopWhen?.() ?? false); i++) {
    const sv = Y.encodeStateVector(y)
    y.getMap('lines').set(`p${i}`, { productId: 'beer', qty: 1 })
    const id = uuidv7()
    const t0 = performance.now()
    await new Promise<void>((resolve) => {
      c.onAck = (a) => a === id && resolve()
      c.ws.send(encodeMux({ type: Mux.update, doc, updateId: id, update: Y.encodeStateAsUpdate(y, sv) }))
    })
    out.push(performance.now() - t0)
  }
  c.ws.close()
  return out
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? (s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number) : 0
}
const rssMb = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Math.round(Number(m[1]) / 1024) : 0
}

/** One terminal's offline hour: `sales` sales, 4 log rows each, sent in batches. */
async function offlineTerminal(url: string, t: number, sales: number, visits: string[]): Promise<{ rows: number; bytes: number }> {
  const c = await mux(url)
  const ids: string[] = []
  let bytes = 0
  let frames: Uint8Array[] = []
  const flush = () => {
    if (frames.length) c.ws.send(encodeMux({ type: Mux.batch, frames }))
    frames = []
  }
  for (let s = 0; s < sales; s++) {
    const cartName = `${STORE}/cart/${uuidv7()}`
    const cart = new Y.Doc()
    const ticketName = `${STORE}/ticket/${uuidv7()}`
    const visitName = visits[(t + s) % visits.length] as string
    const parts: Array<[string, Uint8Array]> = []
    let sv = Y.encodeStateVector(cart)
    cart.getMap('lines').set(uuidv7(), { productId: 'beer', qty: 2, unitPrice: 350 })
    parts.push([cartName, Y.encodeStateAsUpdate(cart, sv)])
    sv = Y.encodeStateVector(cart)
    cart.getMap('lines').set(uuidv7(), { productId: 'gin', qty: 1, unitPrice: 900 })
    parts.push([cartName, Y.encodeStateAsUpdate(cart, sv)])
    const ticket = new Y.Doc()
    ticket.getMap('ticket').set('sale', { id: ticketName.split('/')[2], cartId: cartName.split('/')[2], terminalId: `t${t}`, lines: [{ productId: 'beer', qty: 2, unitPrice: 350, total: 700 }, { productId: 'gin', qty: 1, unitPrice: 900, total: 900 }], total: 1600, payment: { method: 'card' }, clientTime: new Date().toISOString() })
    parts.push([ticketName, Y.encodeStateAsUpdate(ticket)])
    const visit = new Y.Doc()
    visit.getMap('consumption').set(ticketName.split('/')[2] as string, { total: 1600, at: new Date().toISOString() })
    parts.push([visitName, Y.encodeStateAsUpdate(visit)])
    for (const [doc, update] of parts) {
      const id = uuidv7()
      ids.push(id)
      bytes += update.byteLength
      frames.push(encodeMux({ type: Mux.update, doc, updateId: id, update }))
    }
    if (frames.length >= 200) flush()
  }
  flush()
  await new Promise<void>((resolve) => {
    const check = () => ids.every((id) => c.acks.has(id)) && resolve()
    c.onAck = check
    check()
  })
  c.ws.close()
  return { rows: ids.length, bytes }
}

export async function hub(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      terminals: { type: 'string', default: '10' },
      sales: { type: 'string', default: '300' },
      probe: { type: 'string', default: '200' },
      postgres: { type: 'string', default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
      'no-postgres': { type: 'boolean', default: false },
      out: { type: 'string' },
    },
  })
  const terminals = Number(values.terminals)
  const sales = Number(values.sales)
  const probeN = Number(values.probe)
  const dirs: string[] = []
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'tally-bench-hub-'))
    dirs.push(d)
    return d
  }
  let pgUrl: string | null = null
  if (!values['no-postgres']) {
    const sql = postgres(values.postgres, { max: 1, connect_timeout: 2, onnotice: () => {} })
    pgUrl = await sql`select 1`.then(() => values.postgres, () => null)
    await sql.end({ timeout: 1 }).catch(() => {})
  }
  const schema = `bench_hub_${process.pid}`
  const centralEnv = { JWT_SECRET: CENTRAL_SECRET, ...(pgUrl ? { DATABASE_URL: pgUrl, DATABASE_SCHEMA: schema } : { DATA_DIR: dir() }) }
  let central = await start(centralEnv)
  const centralPort = central.port
  // Plain HTTP on loopback: a hub defaults to TLS=local (HUB35), which this harness does not speak.
  const hubProc = await start({ TLS: 'off', JWT_SECRET: HUB_SECRET, DATA_DIR: dir(), UPSTREAM_URL: `ws://127.0.0.1:${centralPort}`, UPSTREAM_TOKEN: await sign(CENTRAL_SECRET, 'hub', 'bench-hub') })
  const hubUrl = `ws://127.0.0.1:${hubProc.port}/mux?token=${await sign(HUB_SECRET, 'terminal', 'probe')}`
  const admin = await sign(CENTRAL_SECRET, 'admin', 'bench')
  const behind = async (): Promise<number | null> => {
    const r = await fetch(`http://127.0.0.1:${centralPort}/api/v1/dashboard`, { headers: { authorization: `Bearer ${admin}` } }).catch(() => null)
    if (!r || !r.ok) return null
    const d = (await r.json()) as { hubs: Array<{ hub: string; connected: boolean; rowsBehind: number | null }> }
    const h = d.hubs.find((x) => x.hub === 'bench-hub')
    return h && h.connected ? h.rowsBehind : null
  }
  try {
    // Warm up, then the idle baseline (linked, nothing to forward).
    await ackProbe(hubUrl, 50)
    const idle = await ackProbe(hubUrl, probeN)

    // An hour offline: central down, every terminal sells.
    central.child.kill('SIGKILL')
    await central.exited
    const visits = Array.from({ length: 30 }, () => `${STORE}/visit/${uuidv7()}`)
    const wroteAt = performance.now()
    const backlog = await Promise.all(
      Array.from({ length: terminals }, async (_, t) => offlineTerminal(`ws://127.0.0.1:${hubProc.port}/mux?token=${await sign(HUB_SECRET, 'terminal', `t${t}`)}`, t, sales, visits)),
    )
    const writeMs = performance.now() - wroteAt
    const rows = backlog.reduce((n, b) => n + b.rows, 0)
    const bytes = backlog.reduce((n, b) => n + b.bytes, 0)
    const rssIdle = rssMb(hubProc.child.pid as number)

    // Central returns: time until it holds everything; acks probed meanwhile.
    const back = performance.now()
    central = await start({ ...centralEnv, PORT: String(centralPort) })
    const bootMs = performance.now() - back
    let caughtUp = false
    let peakRss = rssIdle
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(hubProc.child.pid as number))), 100)
    const during: number[] = []
    const probing = (async () => {
      while (!caughtUp) during.push(...(await ackProbe(hubUrl, 20, () => caughtUp)))
    })()
    for (;;) {
      const b = await behind()
      if (b === 0) break
      await new Promise((r) => setTimeout(r, 50))
    }
    const catchUpMs = performance.now() - back
    caughtUp = true
    await probing
    clearInterval(sampler)
    let centralRows: number | null = null
    if (pgUrl) {
      const sql = postgres(pgUrl, { max: 1, onnotice: () => {} })
      const [r] = await sql.unsafe(`SELECT count(*)::int AS n FROM "${schema}".update_log WHERE actor LIKE 'hub:%'`)
      centralRows = (r as unknown as { n: number }).n
      await sql.end()
    }
    const result = {
      machine: machineInfo(),
      central: pgUrl ? 'postgres' : 'pglite',
      hub: 'pglite',
      terminals,
      sales,
      backlogRows: rows,
      backlogBytes: bytes,
      offlineWriteMs: Math.round(writeMs),
      catchUpMs: Math.round(catchUpMs),
      centralBootMs: Math.round(bootMs),
      forwardMs: Math.round(catchUpMs - bootMs),
      rowsPerSecond: Math.round(rows / ((catchUpMs - bootMs) / 1000)),
      bytesPerSecond: Math.round(bytes / ((catchUpMs - bootMs) / 1000)),
      centralRows,
      hubRssMbAfterBacklog: rssIdle,
      hubRssMbPeak: peakRss,
      ackIdle: { n: idle.length, p50: +pct(idle, 50).toFixed(2), p95: +pct(idle, 95).toFixed(2) },
      ackForwarding: { n: during.length, p50: +pct(during, 50).toFixed(2), p95: +pct(during, 95).toFixed(2) },
    }
    const slow = result.ackIdle.p50 > 0 ? result.ackForwarding.p50 / result.ackIdle.p50 : 0
    console.log(JSON.stringify(result, null, 2))
    console.log(`catch-up of ${rows} rows (${(bytes / 1024).toFixed(0)} KiB) in ${(catchUpMs / 1000).toFixed(2)} s from central's restart (${(bootMs / 1000).toFixed(2)} s of it central starting): ${result.rowsPerSecond} rows/s, ${(result.bytesPerSecond / 1024).toFixed(0)} KiB/s; ack p50 ${result.ackIdle.p50} ms idle vs ${result.ackForwarding.p50} ms forwarding (x${slow.toFixed(2)}); hub RSS peak ${peakRss} MiB`)
    const out = values.out ?? join(REPO_ROOT, 'bench', 'results', `hub-${new Date().toISOString().slice(0, 16).replace(/[:T]/g, '-')}.json`)
    mkdirSync(join(out, '..'), { recursive: true })
    writeFileSync(out, JSON.stringify(result, null, 2) + '\n')
  } finally {
    hubProc.child.kill('SIGTERM')
    central.child.kill('SIGTERM')
    await Promise.all([hubProc.exited, central.exited])
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
    if (pgUrl) {
      const sql = postgres(pgUrl, { max: 1, onnotice: () => {} })
      await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {})
      await sql.end()
    }
  }
}
