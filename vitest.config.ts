import { defineConfig } from 'vitest/config'
import { isListenResubscribeFailure } from './packages/schema/src/db/driver-quirks.ts'

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: keep parallelism modest so timing-sensitive fault tests stay honest.
    maxWorkers: 2,
    // The postgres driver's own LISTEN re-subscribe rejects unhandled while a test keeps
    // the database cut (packages/schema/src/db/driver-quirks.ts); the relay survives it
    // the same way (apps/relay/src/main.ts). Every other unhandled error fails the run.
    onUnhandledError: (err) => (isListenResubscribeFailure(err) ? false : undefined),
  },
})
