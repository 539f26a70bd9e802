/**
 * `/mux?store=S`: the store in the URL lets a load balancer send one store's terminals to
 * one relay (they then share its loaded documents). It is a routing hint, never
 * needed: without it the connection works the same. A hint that names another store than
 * the token's is what no honest client sends (it builds the hint from its token), so it
 * is refused rather than silently served by whichever relay got it.
 */
import { ErrorCode } from '@tally/schema'
import type { Claims } from '../auth.ts'
import type { Refusal } from './session.ts'

export function storeRouteRefusal(claims: Claims, routed: string | null | undefined): Refusal | null {
  if (routed === null || routed === undefined || routed === claims.store) return null
  return { code: ErrorCode.wrongStore, reason: `the URL routes to store "${routed.slice(0, 64)}" but the token is for store "${claims.store}"` }
}
