/**
 * The parts of the settings screen: strategies per conflict kind (said as what happens
 * to the sale), the three offline limits with what each does, the discount limit and the
 * stock allowances. Each part edits its slice of the draft; number inputs keep their text
 * while it is being typed and report whether it is valid.
 */
import { useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { SETTINGS_CONFLICT_KINDS, type StoreSettings } from '@tally/schema'
import { kindExplain, kindName } from '../conflict-kinds.ts'
import { centsToInput, parseMoney } from '../format.ts'
import type { Product } from '../types.ts'

export type Draft = StoreSettings
export type SetInvalid = (field: string, invalid: boolean) => void

/** Kinds whose strategy decides the sale's verdict; the others only record a conflict (stock, repeats). */
const RECORD_ONLY = new Set(['oversold', 'duplicate', 'double_checkout'])
/** Kinds with a business time on both sides, where "whatever happened later" means something. */
const TIMED = new Set(['price_changed', 'visit_closed'])

function strategyOptions(kind: string, current: string): string[] {
  const base = RECORD_ONLY.has(kind) ? ['manual', 'terminal_wins'] : ['manual', 'terminal_wins', 'server_wins', ...(TIMED.has(kind) ? ['last_write'] : [])]
  return base.includes(current) ? base : [...base, current]
}

export function StrategiesSection({ value, onChange }: { value: Draft['strategies']; onChange: (v: Draft['strategies']) => void }) {
  const { t } = useTranslation('admin')
  return (
    <fieldset className="adm-card adm-form" data-testid="settings-strategies">
      <legend>
        <h2>{t('settings.strategiesTitle')}</h2>
      </legend>
      <p className="adm-card-sub">{t('settings.strategiesHelp')}</p>
      {SETTINGS_CONFLICT_KINDS.map((kind) => {
        const current = value[kind]
        const family = RECORD_ONLY.has(kind) ? 'record' : 'verdict'
        return (
          <div className="adm-form-row" key={kind} data-kind={kind}>
            <label className="adm-field adm-grow">
              <span>{kindName(kind, t)}</span>
              <select className="input" value={current} onChange={(e) => onChange({ ...value, [kind]: e.target.value as typeof current })} data-testid={`strategy-${kind}`}>
                {strategyOptions(kind, current).map((s) => (
                  <option key={s} value={s}>
                    {t(`settings.${family}Option.${s}`, { defaultValue: t(`strategy.${s}`, { defaultValue: s }) })}
                  </option>
                ))}
              </select>
              <small>{kindExplain(kind, t)}</small>
              <small data-testid={`strategy-effect-${kind}`}>{t(`settings.${family}Effect.${current}`, { defaultValue: t(`settings.${family}Effect.terminal_wins`) })}</small>
            </label>
          </div>
        )
      })}
    </fieldset>
  )
}

type NumberKind = 'minutes' | 'money' | 'percent' | 'wholePercent'

function parseNumber(kind: NumberKind, text: string): number | null | 'invalid' {
  const s = text.trim()
  if (s === '') return null
  if (kind === 'money') {
    const c = parseMoney(s)
    return c !== null && c > 0 ? c : 'invalid'
  }
  const n = Number(s.replace(',', '.'))
  if (!Number.isFinite(n)) return 'invalid'
  if (kind === 'minutes') return Number.isInteger(n) && n >= 1 && n <= 525_600 ? n : 'invalid'
  if (kind === 'wholePercent') return Number.isInteger(n) && n >= 0 && n <= 100 ? n : 'invalid'
  return n >= 0 && n <= 100 && Math.abs(n * 100 - Math.round(n * 100)) < 1e-9 ? n : 'invalid'
}

const shown = (kind: NumberKind, v: number | null): string => (v === null ? '' : kind === 'money' ? centsToInput(v) : String(v))

/** A number field; empty means "no limit" where `nullable`, else it is invalid. */
export function NumberField(props: { kind: NumberKind; label: string; value: number | null; nullable: boolean; field: string; onChange: (v: number | null) => void; setInvalid: SetInvalid; testId: string; hint?: string }) {
  const { t } = useTranslation('admin')
  const { kind, value, nullable, field, onChange, setInvalid } = props
  const [text, setText] = useState(() => shown(kind, value))
  // A reload (or another part of the screen) replaced the value: show it.
  useEffect(() => {
    const mine = parseNumber(kind, text)
    if (mine !== value) setText(shown(kind, value))
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value])
  const parsed = parseNumber(kind, text)
  const bad = parsed === 'invalid' || (parsed === null && !nullable)
  useEffect(() => setInvalid(field, bad), [field, bad, setInvalid])
  return (
    <label className="adm-field">
      <span>{props.label}</span>
      <input
        className="input"
        inputMode="decimal"
        value={text}
        placeholder={nullable ? t('settings.noLimit') : ''}
        aria-invalid={bad}
        onChange={(e) => {
          setText(e.target.value)
          const p = parseNumber(kind, e.target.value)
          if (p !== 'invalid' && (p !== null || nullable)) onChange(p)
        }}
        data-testid={props.testId}
      />
      {bad ? <small className="adm-danger-text">{t(`settings.bad.${kind}`)}</small> : props.hint ? <small>{props.hint}</small> : null}
    </label>
  )
}

const ACTIONS = ['warn', 'approval', 'block'] as const

export function ActionSelect({ label, value, onChange, testId }: { label: string; value: string; onChange: (v: (typeof ACTIONS)[number]) => void; testId: string }) {
  const { t } = useTranslation('admin')
  return (
    <label className="adm-field">
      <span>{label}</span>
      <select className="input" value={value} onChange={(e) => onChange(e.target.value as (typeof ACTIONS)[number])} data-testid={testId}>
        {ACTIONS.map((a) => (
          <option key={a} value={a}>
            {t(`settings.action.${a}`)}
          </option>
        ))}
      </select>
    </label>
  )
}

export function OfflineSection({ value, onChange, setInvalid }: { value: Draft['offlinePolicy']; onChange: (v: Draft['offlinePolicy']) => void; setInvalid: SetInvalid }) {
  const { t } = useTranslation('admin')
  const limits = [
    { key: 'maxOfflineMinutes', on: 'onMaxOffline', kind: 'minutes' },
    { key: 'maxSaleCents', on: 'onMaxSale', kind: 'money' },
    { key: 'maxUnsyncedCents', on: 'onMaxUnsynced', kind: 'money' },
  ] as const
  return (
    <fieldset className="adm-card adm-form" data-testid="settings-offline">
      <legend>
        <h2>{t('settings.offlineTitle')}</h2>
      </legend>
      <p className="adm-card-sub">{t('settings.offlineHelp')}</p>
      {limits.map((l) => (
        <div className="adm-form-row" key={l.key}>
          <NumberField
            kind={l.kind}
            label={t(`settings.limit.${l.key}`)}
            value={value[l.key]}
            nullable
            field={`offlinePolicy.${l.key}`}
            onChange={(v) => onChange({ ...value, [l.key]: v })}
            setInvalid={setInvalid}
            testId={`limit-${l.key}`}
            {...(l.kind === 'minutes' && value.maxOfflineMinutes !== null ? { hint: t('settings.hours', { hours: Math.round((value.maxOfflineMinutes / 60) * 10) / 10 }) } : {})}
          />
          <ActionSelect label={t('settings.whenPassed')} value={value[l.on]} onChange={(a) => onChange({ ...value, [l.on]: a })} testId={`action-${l.on}`} />
        </div>
      ))}
    </fieldset>
  )
}

export function DiscountSection({ value, onChange, setInvalid }: { value: Draft['discounts']; onChange: (v: Draft['discounts']) => void; setInvalid: SetInvalid }) {
  const { t } = useTranslation('admin')
  return (
    <fieldset className="adm-card adm-form" data-testid="settings-discounts">
      <legend>
        <h2>{t('settings.discountsTitle')}</h2>
      </legend>
      <div className="adm-form-row">
        <NumberField
          kind="percent"
          label={t('settings.maxWithoutApprovalPct')}
          value={value.maxWithoutApprovalPct}
          nullable={false}
          field="discounts.maxWithoutApprovalPct"
          onChange={(v) => onChange({ maxWithoutApprovalPct: v ?? 0 })}
          setInvalid={setInvalid}
          testId="discount-limit"
          hint={t('settings.discountsHelp')}
        />
      </div>
    </fieldset>
  )
}

export function AllowancesSection({ value, products, onChange, setInvalid }: { value: Draft['allowances']; products: readonly Product[]; onChange: (v: Draft['allowances']) => void; setInvalid: SetInvalid }) {
  const { t } = useTranslation('admin')
  const picked = new Set(value.scarce.map((p) => p.productId))
  // Only products that count stock can be shared out; a listed one that no longer does stays visible.
  const choices = products.filter((p) => p.trackStock || picked.has(p.id))
  const toggle = (id: string, on: boolean) => onChange({ ...value, scarce: on ? [...value.scarce, { productId: id }] : value.scarce.filter((p) => p.productId !== id) })
  return (
    <fieldset className="adm-card adm-form" data-testid="settings-allowances">
      <legend>
        <h2>{t('settings.allowancesTitle')}</h2>
      </legend>
      <p className="adm-card-sub">{t('settings.allowancesHelp')}</p>
      <label className="adm-check">
        <input type="checkbox" checked={value.enabled} onChange={(e) => onChange({ ...value, enabled: e.target.checked })} data-testid="allowances-enabled" /> {t('settings.allowancesEnabled')}
      </label>
      <div className="adm-form-row" data-testid="scarce-products">
        {choices.length === 0 ? <span className="adm-card-sub">{t('settings.noTrackedProducts')}</span> : null}
        {choices.map((p) => (
          <label className="adm-check" key={p.id}>
            <input type="checkbox" checked={picked.has(p.id)} onChange={(e) => toggle(p.id, e.target.checked)} data-testid="scarce-product" data-product-id={p.id} /> {p.name}
          </label>
        ))}
      </div>
      <div className="adm-form-row">
        <label className="adm-field">
          <span>{t('settings.rule')}</span>
          <select className="input" value={value.rule} onChange={(e) => onChange({ ...value, rule: e.target.value as Draft['allowances']['rule'] })} data-testid="allowances-rule">
            <option value="equal">{t('settings.ruleName.equal')}</option>
            <option value="by_recent_sales">{t('settings.ruleName.by_recent_sales')}</option>
          </select>
        </label>
        <NumberField
          kind="wholePercent"
          label={t('settings.reservePct')}
          value={value.reservePct}
          nullable={false}
          field="allowances.reservePct"
          onChange={(v) => onChange({ ...value, reservePct: v ?? 0 })}
          setInvalid={setInvalid}
          testId="allowances-reserve"
        />
        <ActionSelect label={t('settings.onExceeded')} value={value.onExceeded} onChange={(a) => onChange({ ...value, onExceeded: a })} testId="allowances-on-exceeded" />
      </div>
    </fieldset>
  )
}
