/** Audit rows (connects, updates, refusals, logins, master data, resolutions) as a table. */
import { useTranslation } from 'react-i18next'
import { formatDateTime } from '../format.ts'
import type { AuditRow } from '../types.ts'
import { DataTable, type Column } from '../ui/data-table.tsx'

export function AuditTable({ rows, csvName, empty, testId }: { rows: AuditRow[]; csvName: string; empty: string; testId: string }) {
  const { t, i18n } = useTranslation('admin')
  const columns: Column<AuditRow>[] = [
    { key: 'at', header: t('audit.at'), cell: (r) => formatDateTime(r.at, i18n.language), csv: (r) => r.at },
    { key: 'kind', header: t('audit.kind'), cell: (r) => <span className={`adm-pill kind-${r.kind}`}>{t(`audit.kinds.${r.kind}`, { defaultValue: r.kind })}</span>, csv: (r) => r.kind },
    { key: 'actor', header: t('audit.actor'), cell: (r) => r.actor ?? '—', csv: (r) => r.actor },
    { key: 'code', header: t('audit.code'), cell: (r) => (r.code ? <code>{r.code}</code> : ''), csv: (r) => r.code },
    { key: 'doc', header: t('audit.doc'), cell: (r) => (r.doc ? <code className="adm-id">{r.doc}</code> : ''), csv: (r) => r.doc },
    { key: 'detail', header: t('audit.detail'), cell: (r) => <DetailCell detail={r.detail} />, csv: (r) => (r.detail ? JSON.stringify(r.detail) : '') },
  ]
  return (
    <DataTable
      rows={rows}
      columns={columns}
      rowKey={(r) => String(r.id)}
      csvName={csvName}
      testId={testId}
      rowClass={(r) => (r.kind === 'refusal' ? 'adm-row-danger' : '')}
      rowProps={(r) => ({ 'data-kind': r.kind })}
      empty={empty}
    />
  )
}

function DetailCell({ detail }: { detail: Record<string, unknown> | null }) {
  if (!detail || Object.keys(detail).length === 0) return null
  const text = Object.entries(detail)
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' · ')
  return (
    <span className="adm-detail-cell" title={JSON.stringify(detail, null, 2)}>
      {text.length > 140 ? `${text.slice(0, 140)}…` : text}
    </span>
  )
}
