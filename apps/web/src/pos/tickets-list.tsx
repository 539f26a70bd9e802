import { useTranslation } from 'react-i18next'
import { readProducts } from '@tally/schema'
import { itemsText } from './line-groups.ts'
import { formatMoney } from './money.ts'
import { reasonText, type Translate } from './reason-text.ts'
import { TICKET_STATES } from './receipts.ts'
import { useTerminal } from './use-terminal.ts'

export function TicketsList() {
  const term = useTerminal()
  const { t, i18n } = useTranslation()
  const receipts = term.tickets.receipts
  const products = term.catalog === null ? [] : readProducts(term.catalog)
  const money = (c: number): string => formatMoney(c, i18n.language)
  const counts = receipts.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.state]: (acc[r.state] ?? 0) + 1 }), {})
  return (
    <section className="tickets" aria-label={t('tickets.title')}>
      <header className="tickets-head">
        <h2>{t('tickets.title')}</h2>
        <p className="tickets-summary" data-testid="tickets-summary">
          {TICKET_STATES.map((s) => (
            <span key={s} className={`badge state-${s}`} data-state={s} data-count={counts[s] ?? 0}>
              {t(`ticketState.${s}`)}: {counts[s] ?? 0}
            </span>
          ))}
        </p>
      </header>
      {receipts.length === 0 ? (
        <p className="empty">{t('tickets.none')}</p>
      ) : (
        <table className="ticket-table" data-testid="tickets">
          <thead>
            <tr>
              <th>{t('tickets.time')}</th>
              <th>{t('tickets.tab')}</th>
              <th>{t('tickets.items')}</th>
              <th>{t('pay.method')}</th>
              <th className="num">{t('tab.total')}</th>
              <th>{t('tickets.state')}</th>
            </tr>
          </thead>
          <tbody>
            {receipts.map((r) => (
              <tr key={r.id} data-testid="ticket" data-ticket-id={r.id} data-state={r.state} data-total={r.total}>
                <td data-label={t('tickets.time')}>{new Date(r.at).toLocaleTimeString(i18n.language, { hour: '2-digit', minute: '2-digit' })}</td>
                <td data-label={t('tickets.tab')}>{r.label}</td>
                <td className="items" data-label={t('tickets.items')}>
                  {itemsText(r.items)}
                </td>
                <td data-label={t('pay.method')}>{t(`pay.${r.method}`)}</td>
                <td className="num" data-label={t('tab.total')}>
                  {formatMoney(r.total, i18n.language)}
                </td>
                <td className="state" data-label={t('tickets.state')}>
                  <span className={`badge state-${r.state}`} title={t(`ticketStateHelp.${r.state}`)}>
                    {t(`ticketState.${r.state}`)}
                  </span>
                  {term.staffInUse && term.refundable(r.id) && (r.state === 'local' || r.state === 'durable' || r.state === 'accepted') && (
                    <button type="button" className="btn btn-small" data-testid="ticket-refund" onClick={() => void term.refund(r.id)}>
                      {t('staff.refund.button')}
                    </button>
                  )}
                  {r.reasons.length > 0 && (
                    <ul className="reasons" data-testid="reasons">
                      {r.reasons.map((x, i) => (
                        // The server's message (cents, field names) is for the engineer on call, not shown.
                        <li key={i} data-code={x.code} data-message={x.message}>
                          {reasonText(x, { receipt: r, products, money, t: t as Translate })}
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
