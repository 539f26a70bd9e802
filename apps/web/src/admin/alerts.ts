/**
 * The dashboard's alerts come from the server as English sentences; known ones are
 * recognised here and said in the UI's language, with a link to the screen that fixes
 * them. An unknown sentence is shown as the server wrote it.
 */
import type { Screen } from './router.ts'

export interface KnownAlert {
  key: string
  params: Record<string, string | number>
  screen: Screen | null
}

const PATTERNS: Array<{ re: RegExp; key: string; screen: Screen | null; params: (m: RegExpExecArray) => Record<string, string | number> }> = [
  { re: /^projection is (\d+) s behind \((\d+) log rows\)$/, key: 'lag', screen: null, params: (m) => ({ seconds: Number(m[1]), rows: Number(m[2]) }) },
  { re: /^terminal (.+) has (\d+) sales pending$/, key: 'pending', screen: 'terminals', params: (m) => ({ terminal: m[1] ?? '', count: Number(m[2]) }) },
  { re: /^terminal (.+) has not synced for (\d+) h$/, key: 'quiet', screen: 'terminals', params: (m) => ({ terminal: m[1] ?? '', count: Number(m[2]) }) },
  { re: /^(\d+) open conflicts? to resolve$/, key: 'conflicts', screen: 'conflicts', params: (m) => ({ count: Number(m[1]) }) },
  { re: /^(\d+) products? (?:is|are) oversold$/, key: 'oversold', screen: 'stock', params: (m) => ({ count: Number(m[1]) }) },
  { re: /^terminal ([^:]+): (.+)$/, key: 'terminalError', screen: 'terminals', params: (m) => ({ terminal: m[1] ?? '', error: m[2] ?? '' }) },
]

export function recogniseAlert(message: string): KnownAlert | null {
  for (const p of PATTERNS) {
    const m = p.re.exec(message)
    if (m) return { key: p.key, params: p.params(m), screen: p.screen }
  }
  return null
}
