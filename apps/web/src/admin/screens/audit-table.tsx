/**
 * Audit rows (connects, uploads, refusals, logins, master data, resolutions) for people:
 * who, a sentence for what happened, the document by name, and every detail field
 * formatted (money in euros, names for ids) in an expandable list that is never cut off.
 * The CSV keeps the raw values.
 */
import { useTranslation } from 'react-i18next'
import { auditText } from '../audit-text.ts'
import { formatDateTime } from '../format.ts'
import { actorLabel, docLabel, formatValue, type Names } from '../labels.ts'
import type { AuditRow } from '../types.ts'
import { DataTable, type Column } from '../ui/data-table.tsx'
import { useNames } from '../ui/use-names.ts'

export function AuditTable({ rows, csvName, empty, testId }: { rows: AuditRow[]; csvName: string; empty: string; testId: string }) {
  const { t, i18n } = useTranslation('admin')
  const names = useNames()
  const lang = i18n.language
  const columns: Column<AuditRow>[] = [
    { key: 'at', header: t('audit.at'), cell: (r) => <span className="adm-nowrap">{formatDateTime(r.at, lang)}</span>, csv: (r) => r.at },
    { key: 'actor', header: t('audit.actor'), cell: (r) => <span title={r.actor ?? ''}>{actorLabel(r.actor, t)}</span>, csv: (r) => r.actor },
    {
      key: 'what',
      header: t('auditView.what'),
      cell: (r) => (
        <span className="adm-what" data-testid="audit-what">
          <span className={`adm-pill kind-${r.kind}`}>{t(`audit.kinds.${r.kind}`, { defaultValue: r.kind })}</span> {auditText(r, t, lang, names)}
        </span>
      ),
      csv: (r) => r.kind,
    },
    { key: 'code', header: t('audit.code'), cell: () => null, csv: (r) => r.code, csvOnly: true },
    {
      key: 'doc',
      header: t('auditView.document'),
      cell: (r) => (r.doc ? <span title={r.doc} data-testid="audit-doc">{docLabel(r.subject, r.doc, t, lang)}</span> : ''),
      csv: (r) => r.doc,
    },
    { key: 'detail', header: t('auditView.details'), cell: (r) => <Details detail={r.detail} names={names} />, csv: (r) => (r.detail ? JSON.stringify(r.detail) : '') },
  ]
  return (
    <DataTable
      rows={rows}
      columns={columns}
      rowKey={(r) => String(r.id)}
      csvName={csvName}
      testId={testId}
      rowClass={(r) => (r.kind === 'refusal' ? 'adm-row-danger' : '')}
      rowProps={(r) => ({ 'data-kind': r.kind, ...(r.code ? { 'data-code': r.code } : {}) })}
      empty={empty}
    />
  )
}

function Details({ detail, names }: { detail: Record<string, unknown> | null; names: Names }) {
  const { t, i18n } = useTranslation('admin')
  if (!detail || Object.keys(detail).length === 0) return null
  return (
    <details className="adm-audit-details">
      <summary>{t('auditView.details')}</summary>
      <dl className="adm-dl" data-testid="audit-detail">
        {Object.entries(detail).map(([k, v]) => (
          <div key={k}>
            <dt>{t(`field.${k}`, { defaultValue: k })}</dt>
            <dd>{formatValue(k, v, t, i18n.language, names)}</dd>
          </div>
        ))}
      </dl>
    </details>
  )
}
