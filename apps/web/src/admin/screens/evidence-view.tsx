/**
 * Conflict evidence, whatever its kind: the projection stores `{ terminal, server, ...context }`;
 * the two sides are shown next to each other and the rest above them. Values render
 * generically (lists of records as small tables), with money keys shown as euros.
 */
import { createContext, useContext, type ReactNode } from 'react'
import { useTranslation } from 'react-i18next'
import { formatDateTime } from '../format.ts'
import { formatWhen, shortId } from '../labels.ts'
import { Money } from '../ui/money.tsx'

/** Product id -> name, so evidence says "Vermut", not a UUID. */
const Names = createContext<ReadonlyMap<string, string>>(new Map())
const ID_KEY = /(Id|^id|^sinceAdjustment)$/

const MONEY_KEY = /(price|total|amount|consumed|cents|paid|subtotal)$/i
const TIME_KEY = /(At|^at|time|Time)$/

export function EvidenceView({ evidence, productNames }: { evidence: Record<string, unknown>; productNames: ReadonlyMap<string, string> }) {
  const { t } = useTranslation('admin')
  const { terminal, server, ...context } = evidence
  return (
    <Names.Provider value={productNames}>
    <div data-testid="evidence">
      {Object.keys(context).length > 0 ? <Value value={context} /> : null}
      <div className="adm-sides">
        <div className="adm-side adm-side-terminal" data-testid="evidence-terminal">
          <h3>{t('conflicts.terminalSide')}</h3>
          <Value value={terminal ?? null} />
        </div>
        <div className="adm-side adm-side-server" data-testid="evidence-server">
          <h3>{t('conflicts.serverSide')}</h3>
          <Value value={server ?? null} />
        </div>
      </div>
    </div>
    </Names.Provider>
  )
}

/** Long ids (UUIDs) end in their last 8 characters; the whole id is in the tooltip. */
function ShortId({ id }: { id: string }) {
  return (
    <code className="adm-id" title={id} data-id={id}>
      {id.length > 14 ? shortId(id) : id}
    </code>
  )
}

function Value({ value, name }: { value: unknown; name?: string }): ReactNode {
  const { t, i18n } = useTranslation('admin')
  const names = useContext(Names)
  if (value === null || value === undefined) return <span className="hint">—</span>
  if (typeof value === 'string' && name === 'productId') return <span title={value}>{names.get(value) ?? value}</span>
  if (typeof value === 'string' && name === 'terminalId') return <b>{value}</b>
  if (typeof value === 'string' && name !== undefined && ID_KEY.test(name)) return <ShortId id={value} />
  if (typeof value === 'number' && name !== undefined && MONEY_KEY.test(name) && Number.isInteger(value)) return <Money cents={value} />
  if (typeof value === 'string' && name !== undefined && TIME_KEY.test(name)) return <span title={formatDateTime(value, i18n.language)} className="adm-nowrap">{formatWhen(value, i18n.language)}</span>
  if (typeof value === 'boolean') return <span>{value ? t('common.yes') : t('common.no')}</span>
  if (typeof value !== 'object') return <span>{String(value)}</span>
  if (Array.isArray(value)) {
    if (value.length === 0) return <span className="hint">—</span>
    if (value.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v))) {
      // Postgres jsonb reorders keys (shortest first): put who and what before when and how much.
      const keys = [...new Set(value.flatMap((v) => Object.keys(v as object)))].sort((a, b) => rank(a) - rank(b))
      return (
        <table className="adm-table adm-table-compact">
          <thead>
            <tr>
              {keys.map((k) => (
                <th key={k}>{label(k, t)}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {value.map((v, i) => (
              <tr key={i}>
                {keys.map((k) => (
                  <td key={k}>
                    <Value value={(v as Record<string, unknown>)[k]} name={k} />
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )
    }
    return <span>{value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(', ')}</span>
  }
  return (
    <dl className="adm-dl">
      {Object.entries(value as Record<string, unknown>).sort(([a], [b]) => rank(a) - rank(b)).map(([k, v]) => (
        <div key={k} className={Array.isArray(v) && v.some((x) => typeof x === 'object' && x !== null) ? 'adm-dl-block' : undefined}>
          <dt>{label(k, t)}</dt>
          <dd>
            <Value value={v} name={k} />
          </dd>
        </div>
      ))}
    </dl>
  )
}

const ORDER = ['productId', 'terminalId', 'ticketId', 'name', 'qty', 'sold', 'level', 'deficit', 'price', 'total', 'at', 'clientTime']
function rank(key: string): number {
  const i = ORDER.indexOf(key)
  return i === -1 ? ORDER.length : i
}

function label(key: string, t: (k: string, o?: Record<string, unknown>) => string): string {
  return t(`evidence.${key}`, { defaultValue: key })
}
