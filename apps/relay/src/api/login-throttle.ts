/**
 * Login throttling: wrong passwords buy exponentially growing waits, counted three ways.
 *
 * - per account and client address: 5 free failures, then 1 s, 2 s, 4 s ... up to 15 min;
 * - per client address over all accounts: 20 free failures (password spraying);
 * - per account over all addresses: 20 free failures (a guess spread over many hosts).
 *
 * The last one is what an attacker could use to lock the real admin out, so it does not
 * apply to an address that logged into that account before (within 30 days): the admin's
 * own browser keeps working while strangers guess. Every wait is capped at 15 minutes and
 * a locked attempt is not checked at all (no scrypt, no oracle): it answers 429 with
 * Retry-After. A good login clears only its own account-and-address counter: clearing the
 * address's would let one valid account launder a sprayer's address, clearing the
 * account's would hand a distributed guesser fresh free failures every day.
 *
 * State lives in this process (bounded, oldest entries dropped first); several relays
 * each count on their own, which still caps an attacker at a few guesses per quarter hour
 * per relay once the free failures are spent.
 */

export const LoginThrottleScope = { accountAddress: 'account-address', address: 'address', account: 'account' } as const
export type LoginThrottleScope = (typeof LoginThrottleScope)[keyof typeof LoginThrottleScope]

export interface LoginThrottlePolicy {
  /** Failures allowed without a wait, per scope. */
  readonly free: Readonly<Record<LoginThrottleScope, number>>
  /** The first wait after the free failures; each further failure doubles it. */
  readonly baseDelayMs: number
  readonly maxDelayMs: number
  /** Failures older than this (without newer ones) are forgotten. */
  readonly forgetMs: number
  /** How long a good login makes its address known for that account. */
  readonly trustMs: number
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottlePolicy = Object.freeze({
  free: Object.freeze({ 'account-address': 5, address: 20, account: 20 }),
  baseDelayMs: 1_000,
  maxDelayMs: 15 * 60_000,
  forgetMs: 24 * 3600_000,
  trustMs: 30 * 24 * 3600_000,
})

export type LoginCheck =
  | { ok: true }
  | { ok: false; scope: LoginThrottleScope; failures: number; retryAfterMs: number; /** first refusal of this wait (audit it once) */ first: boolean }

export interface LoginThrottle {
  check(email: string, address: string, now?: number): LoginCheck
  /** A wrong password: returns the failure count per scope after it. */
  failed(email: string, address: string, now?: number): Record<LoginThrottleScope, number>
  succeeded(email: string, address: string, now?: number): void
}

interface Counter {
  failures: number
  last: number
  /** `last` of the failure whose wait was already refused once (audit once per wait). */
  refusedFor: number
}

const MAX_ENTRIES = 100_000

export function createLoginThrottle(policy: LoginThrottlePolicy = DEFAULT_LOGIN_THROTTLE): LoginThrottle {
  const counters = new Map<string, Counter>()
  const trusted = new Map<string, number>()

  const keyOf = (scope: LoginThrottleScope, email: string, address: string) =>
    scope === LoginThrottleScope.account ? `a\u0000${email}` : scope === LoginThrottleScope.address ? `i\u0000${address}` : `ai\u0000${email}\u0000${address}`

  /** Insert or refresh `key` at the end of the map (oldest first), dropping the oldest past the bound. */
  function touch<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key)
    map.set(key, value)
    while (map.size > MAX_ENTRIES) map.delete(map.keys().next().value as string)
  }

  function delay(scope: LoginThrottleScope, failures: number): number {
    const over = failures - policy.free[scope]
    if (over <= 0) return 0
    return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(over - 1, 30))
  }

  function live(key: string, now: number): Counter | undefined {
    const c = counters.get(key)
    if (c && now - c.last > policy.forgetMs) {
      counters.delete(key)
      return undefined
    }
    return c
  }

  function scopes(email: string, address: string, now: number): LoginThrottleScope[] {
    const known = trusted.get(`${email}\u0000${address}`)
    const isTrusted = known !== undefined && now - known <= policy.trustMs
    return isTrusted
      ? [LoginThrottleScope.accountAddress, LoginThrottleScope.address]
      : [LoginThrottleScope.accountAddress, LoginThrottleScope.address, LoginThrottleScope.account]
  }

  return {
    check(email, address, now = Date.now()) {
      let worst: Extract<LoginCheck, { ok: false }> | null = null
      let worstCounter: Counter | null = null
      for (const scope of scopes(email, address, now)) {
        const c = live(keyOf(scope, email, address), now)
        if (!c) continue
        const wait = c.last + delay(scope, c.failures) - now
        if (wait > 0 && (!worst || wait > worst.retryAfterMs)) {
          worst = { ok: false, scope, failures: c.failures, retryAfterMs: wait, first: c.refusedFor !== c.last }
          worstCounter = c
        }
      }
      if (!worst) return { ok: true }
      if (worstCounter) worstCounter.refusedFor = worstCounter.last
      return worst
    },
    failed(email, address, now = Date.now()) {
      const out = { 'account-address': 0, address: 0, account: 0 }
      for (const scope of Object.values(LoginThrottleScope)) {
        const key = keyOf(scope, email, address)
        const c = live(key, now) ?? { failures: 0, last: now, refusedFor: -1 }
        c.failures++
        c.last = now
        touch(counters, key, c)
        out[scope] = c.failures
      }
      return out
    },
    succeeded(email, address, now = Date.now()) {
      counters.delete(keyOf(LoginThrottleScope.accountAddress, email, address))
      touch(trusted, `${email}\u0000${address}`, now)
    },
  }
}
