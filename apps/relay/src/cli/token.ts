/**
 * `npm run token -- --store S --terminal T [--role terminal|admin|service|hub] [--days N]`
 * (`--role hub --terminal NAME`: a store hub's UPSTREAM_TOKEN, run on the central relay)
 * prints a token, alone on its line, signed with the relay's secret (JWT_SECRET or the
 * one kept in DATA_DIR).
 */
import { parseArgs } from 'node:util'
import { isStoreId, Role } from '@tally/schema'
import { signToken } from '../auth.ts'
import { loadConfig } from '../config.ts'

const { values } = parseArgs({
  options: {
    store: { type: 'string', default: 'demo' },
    terminal: { type: 'string' },
    sub: { type: 'string' },
    role: { type: 'string', default: 'terminal' },
    days: { type: 'string', default: '30' },
  },
})
const role = values.role as Role
if (!Object.values(Role).includes(role)) {
  console.error(`--role must be one of ${Object.values(Role).join(', ')}`)
  process.exit(2)
}
if (!isStoreId(values.store)) {
  console.error('--store must be lowercase letters, digits, - or _')
  process.exit(2)
}
const sub = values.terminal ?? values.sub ?? (role === 'terminal' ? 'terminal-1' : role)
const days = Number(values.days)
if (!Number.isFinite(days) || days <= 0) {
  console.error('--days must be a positive number')
  process.exit(2)
}
const config = loadConfig()
console.log(await signToken(config.jwtSecret, { role, store: values.store, sub, ttlSeconds: Math.round(days * 86400) }))
