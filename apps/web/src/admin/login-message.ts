/**
 * The one sentence a failed sign-in shows: the server's own message would repeat the
 * translated one ("Wrong email or password. wrong email or password"), so it is left out.
 */
import { ApiError } from './api.ts'
import type { T } from './labels.ts'

export function loginMessage(err: unknown, t: T): { code: string; text: string } {
  if (!(err instanceof ApiError)) return { code: 'client', text: err instanceof Error ? err.message : String(err) }
  switch (err.code) {
    case 'bad_token':
    case 'bad_credentials':
      return { code: err.code, text: t('login.badCredentials') }
    case 'rate_limited':
      return { code: err.code, text: t('errors.rate_limited', { seconds: err.retryAfter ?? '?' }) }
    default:
      return { code: err.code, text: t(`errors.${err.code}`, { defaultValue: t('errors.unknown', { code: err.code }) }) }
  }
}
