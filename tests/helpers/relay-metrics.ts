/** A spawned relay's Prometheus metrics, read from `/metrics`. */

/** Sum of every sample of `name` (all label sets) on the relay at `httpUrl`; 0 when absent. */
export async function metricSum(httpUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text()
  let sum = 0
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line)
    if (!m || m[1] !== name) continue
    const set = m[2] ?? ''
    if (!Object.entries(labels).every(([k, v]) => set.includes(`${k}="${v}"`))) continue
    sum += Number(m[3])
  }
  return sum
}
