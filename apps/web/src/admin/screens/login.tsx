/** Email and password -> JWT (POST /auth/login), kept in localStorage by the caller. */
import { useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { createApi } from '../api.ts'
import { makeSession, type AdminSession, type AdminUser } from '../session.ts'
import { loginMessage } from '../login-message.ts'
import { LanguagePicker } from '../ui/language-picker.tsx'

export function LoginScreen({ onSignedIn, expired }: { onSignedIn: (s: AdminSession) => void; expired: boolean }) {
  const { t } = useTranslation('admin')
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const api = createApi({ token: () => null, onAuthLost: () => {} })
      const r = await api.post<{ token: string; user: AdminUser }>('/auth/login', { email: email.trim(), password })
      if (r.user.role !== 'admin' && r.user.role !== 'service') {
        setError(new Error(t('login.notAdmin')))
        return
      }
      onSignedIn(makeSession(r.token, r.user))
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return (
    <main className="adm-login" data-testid="login">
      <form onSubmit={submit} className="adm-card adm-login-card">
        <div className="adm-login-head">
          <h1>Tally · {t('title')}</h1>
          <LanguagePicker />
        </div>
        {expired ? <p className="adm-note">{t('login.expired')}</p> : null}
        <label className="adm-field">
          <span>{t('login.email')}</span>
          <input className="input" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} data-testid="login-email" autoFocus />
        </label>
        <label className="adm-field">
          <span>{t('login.password')}</span>
          <input className="input" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} data-testid="login-password" />
        </label>
        {error !== null ? (
          <p className="adm-error" role="alert" data-testid="error" data-code={loginMessage(error, t).code}>
            {loginMessage(error, t).text}
          </p>
        ) : null}
        <button type="submit" className="btn btn-primary" disabled={busy} data-testid="login-submit">
          {busy ? t('common.working') : t('login.submit')}
        </button>
        <p className="hint">{t('login.help')}</p>
      </form>
    </main>
  )
}
