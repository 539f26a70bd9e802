/**
 * How long a terminal takes to check a staff PIN offline (issue 16): PBKDF2-SHA256 at
 * today's PIN_ITERATIONS through WebCrypto, one manager and five checked in parallel (as
 * `findStaffByPin` does), median and worst of 20 rounds. A phone is slower than this
 * machine; the target there is under ~300 ms for a store's managers.
 *
 *   npx tsx bench/src/pin/pin-verify.ts
 */
import { findStaffByPin, hashPin, PIN_ITERATIONS, type StaffMember } from '@tally/schema'

async function main(): Promise<void> {
  const staff: StaffMember[] = []
  for (let i = 0; i < 5; i++) staff.push({ id: `m${i}`, name: `M${i}`, role: 'manager', pin: await hashPin(String(1000 + i)), active: true })
  for (const n of [1, 5]) {
    const list = staff.slice(0, n)
    const times: number[] = []
    for (let r = 0; r < 20; r++) {
      const t0 = performance.now()
      await findStaffByPin('1000', list)
      times.push(performance.now() - t0)
    }
    times.sort((a, b) => a - b)
    console.log(`${n} member(s), ${PIN_ITERATIONS} iterations: median ${times[10]?.toFixed(1)} ms, worst ${times[19]?.toFixed(1)} ms`)
  }
}

void main()
