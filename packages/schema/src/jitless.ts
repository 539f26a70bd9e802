/**
 * Imported first by the web app (apps/web/src/main.tsx), for its side effect. Zod 4
 * compiles object parsers with `new Function` when the page allows it, and finds out by
 * trying when a schema is built, that is while modules load. Under the web app's
 * Content-Security-Policy (no 'unsafe-eval', apps/relay/src/web.ts) that probe is refused
 * and reported as a violation on every load, so zod is told first to parse without code
 * generation. The relay does not import this: there code generation is allowed and faster.
 */
import { z } from 'zod'

z.config({ jitless: true })
