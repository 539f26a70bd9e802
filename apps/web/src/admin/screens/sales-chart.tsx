/** chart.js (tree-shaken: only the bar pieces are registered), used by the reports only. */
import { BarElement, CategoryScale, Chart as ChartJS, Legend, LinearScale, Tooltip } from 'chart.js'
import { Bar } from 'react-chartjs-2'
import { formatMoney } from '../format.ts'

ChartJS.register(CategoryScale, LinearScale, BarElement, Tooltip, Legend)

export function SalesChart(props: { labels: string[]; totals: number[]; units: number[]; lang: string; totalLabel: string; unitsLabel: string }) {
  const { lang } = props
  return (
    <div className="adm-chart" data-testid="sales-chart">
      <Bar
        data={{
          labels: props.labels,
          datasets: [
            { label: props.totalLabel, data: props.totals.map((c) => c / 100), backgroundColor: '#16a34a', yAxisID: 'y' },
            { label: props.unitsLabel, data: props.units, backgroundColor: '#93c5fd', yAxisID: 'y1' },
          ],
        }}
        options={{
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          plugins: {
            legend: { position: 'bottom' },
            tooltip: {
              callbacks: {
                label: (ctx) => (ctx.dataset.yAxisID === 'y' ? `${ctx.dataset.label}: ${formatMoney(Math.round(Number(ctx.raw) * 100), lang)}` : `${ctx.dataset.label}: ${String(ctx.raw)}`),
              },
            },
          },
          scales: {
            y: { beginAtZero: true, position: 'left', ticks: { callback: (v) => formatMoney(Math.round(Number(v) * 100), lang) } },
            y1: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false }, ticks: { precision: 0 } },
          },
        }}
      />
    </div>
  )
}
