/** Sends one hostile REST request (gen-rest.ts) and reads the answer as refusals and problems. */
import { signToken } from '@tally/relay/auth'
import type { InputResult } from './batches.ts'
import type { World } from './checks.ts'
import type { Caller, RestInput } from './gen-rest.ts'

const STORE: Record<Caller, string | null> = { anonymous: null, forged: null, expired: null, terminal: 'store1', 'terminal-store2': 'store2', admin: 'store1' }

async function tokenFor(w: World, c: Caller): Promise<string | null> {
  switch (c) {
    case 'anonymous':
      return null
    case 'forged':
      return signToken('not-the-relay-secret', { role: 'admin', store: 'store1', sub: 'mallory-admin' })
    case 'expired':
      return w.host.token({ role: 'admin', store: 'store1', sub: 'mallory-admin', ttlSeconds: -60 })
    case 'terminal':
      return w.host.token({ store: 'store1', sub: 'mallory' })
    case 'terminal-store2':
      return w.host.token({ store: 'store2', sub: 'mallory' })
    case 'admin':
      return w.host.token({ role: 'admin', store: 'store1', sub: 'mallory-admin' })
  }
}

export async function request(w: World, input: RestInput, label: string): Promise<InputResult> {
  const token = await tokenFor(w, input.caller)
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {}
  let body: string | undefined
  if (input.body && 'json' in input.body) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(input.body.json)
  } else if (input.body) {
    if (input.body.contentType) headers['content-type'] = input.body.contentType
    body = input.body.raw
  }
  const store = STORE[input.caller]
  const what = `${input.caller} ${input.method} /api/v1${input.path.slice(0, 120)} ${label}`
  let status: number
  let text: string
  try {
    const r = await fetch(`${w.host.httpUrl}/api/v1${input.path}`, { method: input.method, headers, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(20_000) })
    status = r.status
    text = await r.text()
  } catch (err) {
    // A body over the route's limit is refused (413) before it is read, and the relay may
    // close the connection while the sender is still writing: the sender then sees a
    // closed socket instead of the answer. That is a refusal all the same, and it must
    // have its audit row; anything else without an answer is a problem.
    const bytes = body === undefined ? 0 : Buffer.byteLength(body)
    if (bytes > 4096) return { refusals: [{ store, code: 'too_large', input: `${what} → closed while sending ${bytes} bytes` }], problems: [] }
    return { refusals: [], problems: [{ id: 'API5', detail: `no answer (${(err as Error).message}) to ${what}` }] }
  }
  let parsed: unknown = null
  try {
    parsed = JSON.parse(text)
  } catch {
    // judged below
  }
  const refusals: InputResult['refusals'] = []
  const problems: InputResult['problems'] = []
  if (status >= 400) {
    const err = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error
    refusals.push({ store, code: null, input: `${what} → ${status} ${String(err?.code ?? '')}` })
    if (status >= 500) problems.push({ id: 'API5', detail: `${status} ${text.slice(0, 200)} for ${what}` })
    else if (typeof err?.code !== 'string' || typeof err?.message !== 'string') problems.push({ id: 'API5', detail: `${status} without a typed error body (${text.slice(0, 120)}) for ${what}` })
  } else if (input.path === '/sales/sync/upload') {
    const results = (parsed as { results?: Array<{ local_id: string; status: string; reason?: string }> } | null)?.results ?? []
    for (const r of results) {
      if (r.status !== 'error') continue
      const sale = r.local_id
      refusals.push({
        store,
        code: null,
        input: `${what} → sale ${JSON.stringify(sale).slice(0, 60)} refused: ${String(r.reason).slice(0, 120)}`,
        match: (row) => (row.detail as { localId?: unknown } | null)?.localId === sale,
      })
      if (/internal error/.test(String(r.reason))) problems.push({ id: 'API5', detail: `sale ${JSON.stringify(sale).slice(0, 60)} answered "${r.reason}" for ${what}` })
    }
  }
  return { refusals, problems }
}

