/**
 * An API error said plainly: a translated sentence for the code, the server's own message,
 * each field's validation message, and the wait of a 429.
 */
import { useTranslation } from 'react-i18next'
import { ApiError, fieldErrors } from '../api.ts'

export function errorText(err: unknown, t: (k: string, o?: Record<string, unknown>) => string): { title: string; detail: string; fields: Array<{ field: string; message: string }> } {
  if (err instanceof ApiError) {
    const title = t(`errors.${err.code}`, { defaultValue: t('errors.unknown', { code: err.code }), seconds: err.retryAfter ?? '?' })
    return { title, detail: err.message, fields: fieldErrors(err.details) }
  }
  return { title: t('errors.unknown', { code: 'client' }), detail: err instanceof Error ? err.message : String(err), fields: [] }
}

export function ErrorBanner({ error, onClose }: { error: unknown; onClose?: () => void }) {
  const { t } = useTranslation('admin')
  if (error === null || error === undefined) return null
  const e = errorText(error, t)
  const code = error instanceof ApiError ? error.code : 'client'
  return (
    <div className="adm-error" role="alert" data-testid="error" data-code={code}>
      <div>
        <b>{e.title}</b>
        {e.detail !== '' && e.detail !== e.title ? <span className="adm-error-detail"> {e.detail}</span> : null}
        {e.fields.length > 0 ? (
          <ul>
            {e.fields.map((f, i) => (
              <li key={i}>
                {f.field !== '' ? <code>{f.field}</code> : null} {f.message}
              </li>
            ))}
          </ul>
        ) : null}
      </div>
      {onClose ? (
        <button type="button" className="btn btn-small" onClick={onClose} aria-label={t('common.dismiss')}>
          ×
        </button>
      ) : null}
    </div>
  )
}
