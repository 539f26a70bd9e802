// First: zod must know before any schema is built that the page's CSP forbids eval.
import '@tally/schema/jitless'
import { createRoot } from 'react-dom/client'
import { App } from './app.tsx'
import { initI18n } from './i18n/index.ts'
import './pos/pos.css'

initI18n()
const root = document.getElementById('root')
if (root === null) throw new Error('index.html has no #root')
// No StrictMode: its double effects would open two sync clients on one IndexedDB.
createRoot(root).render(<App />)
