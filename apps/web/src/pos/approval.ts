/**
 * Manager approval on the terminal, offline too (issue 16). A manager types their PIN on
 * this device; it is checked against the store's staff as published in the roster
 * document (PBKDF2 hashes, see @tally/schema staff.ts), with no network. The approval
 * (who, when, what) is returned for the caller to put in the ticket it writes; the
 * projector copies it to the audit log.
 *
 * Wrong PINs are counted on the device (PinLock, kept in the terminal's local store so a
 * reload does not reset it): after PIN_MAX_FAILURES in a row no PIN is taken for
 * PIN_LOCK_MS. That is what bounds guessing at the till, since a PIN has few digits.
 *
 * Other helpers build on this exact API: `RequestApproval`.
 */
import {
  findStaffByPin,
  PIN_LOCK_MS,
  PIN_MAX_FAILURES,
  StaffRole,
  type Approval as SchemaApproval,
  type ApprovalAction as SchemaApprovalAction,
  type StaffMember,
} from '@tally/schema'
import type { LocalStore } from './local-store.ts'

export type ApprovalAction = 'void_line' | 'void_ticket' | 'refund' | 'discount' | 'price_override' | 'offline_limit' | 'allowance'
export interface Approval {
  action: ApprovalAction
  staffId: string
  staffName: string
  at: number
  detail: string
}
/** Ask for a manager's PIN (offline too); null when cancelled or refused. */
export type RequestApproval = (req: { action: ApprovalAction; detail: string }) => Promise<Approval | null>

// The schema's shapes are these (checked at compile time both ways).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const sameAction: Same<ApprovalAction, SchemaApprovalAction> = true
const sameApproval: Same<Approval, SchemaApproval> = true
void sameAction
void sameApproval

/** Why the prompt is shown again (or only to say no). */
export type PinError = 'wrong_pin' | 'not_manager' | 'locked' | 'no_managers' | 'no_staff'

/** What the PIN pad shows: why it asks, and what went wrong with the last PIN. */
export interface PinAsk {
  purpose: 'approval' | 'cashier'
  action?: ApprovalAction
  detail?: string
  error: PinError | null
  /** Wrong PINs left before the lock (PIN_MAX_FAILURES counts down). */
  attemptsLeft: number
  /** With error `locked`: when PINs are taken again (ms since the epoch). */
  lockedUntil?: number
}
/**
 * The PIN pad: the UI's dialog, or a test's script. Resolves with the digits typed, or
 * null when the person cancels. Called again with `error` set after a refused PIN; with
 * `locked`, `no_managers` or `no_staff` whatever it answers ends the request.
 */
export type PinPrompt = (ask: PinAsk) => Promise<string | null>

const FINAL: readonly PinError[] = ['locked', 'no_managers', 'no_staff']

/** Consecutive wrong PINs on this device, and the lock they lead to. */
export class PinLock {
  constructor(
    private readonly local: LocalStore,
    private readonly now: () => number = Date.now,
    readonly maxFailures: number = PIN_MAX_FAILURES,
    readonly lockMs: number = PIN_LOCK_MS,
  ) {}
  private get state(): { failures: number; until: number | null } {
    const v = this.local.get<unknown>('pinLock', null)
    const o = typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {}
    const failures = typeof o.failures === 'number' && Number.isInteger(o.failures) && o.failures >= 0 ? o.failures : 0
    const until = typeof o.until === 'number' && Number.isFinite(o.until) ? o.until : null
    return { failures, until }
  }
  /** When PINs are taken again, or null when they are taken now. */
  lockedUntil(): number | null {
    const { until } = this.state
    return until !== null && until > this.now() ? until : null
  }
  attemptsLeft(): number {
    const s = this.state
    if (s.until !== null && s.until <= this.now()) return this.maxFailures
    return Math.max(0, this.maxFailures - s.failures)
  }
  /** A wrong PIN: returns true when it locked the pad. */
  fail(): boolean {
    const s = this.state
    const failures = (s.until !== null && s.until <= this.now() ? 0 : s.failures) + 1
    if (failures >= this.maxFailures) {
      this.local.set('pinLock', { failures: 0, until: this.now() + this.lockMs })
      return true
    }
    this.local.set('pinLock', { failures, until: null })
    return false
  }
  succeed(): void {
    this.local.set('pinLock', { failures: 0, until: null })
  }
}

export interface PinCheckDeps {
  /** The store's staff as published on this device (roster `staff`). */
  staff: () => readonly StaffMember[]
  prompt: PinPrompt
  lock: PinLock
  now?: () => number
}

/**
 * Ask for PINs until one of an active member (a manager when `role` says so) is typed,
 * the person cancels, or the pad locks. Returns the member, or null.
 */
export async function askForStaff(deps: PinCheckDeps, ask: Omit<PinAsk, 'error' | 'attemptsLeft' | 'lockedUntil'>, role?: StaffRole): Promise<StaffMember | null> {
  let error: PinError | null = null
  for (;;) {
    const active = deps.staff().filter((s) => s.active)
    const until = deps.lock.lockedUntil()
    if (until !== null) error = 'locked'
    else if (active.length === 0) error = 'no_staff'
    else if (role === StaffRole.manager && !active.some((s) => s.role === StaffRole.manager)) error = 'no_managers'
    const pin = await deps.prompt({ ...ask, error, attemptsLeft: deps.lock.attemptsLeft(), ...(until !== null ? { lockedUntil: until } : {}) })
    if (pin === null || (error !== null && FINAL.includes(error))) return null
    // A PIN typed while the pad was open may meet a lock set meanwhile (another dialog).
    if (deps.lock.lockedUntil() !== null) {
      error = 'locked'
      continue
    }
    // The members who may answer first (for an approval, the managers: a phone derives one
    // key per candidate), the others only to say why a PIN does not approve.
    const member = await findStaffByPin(pin, role === undefined ? active : active.filter((s) => s.role === role))
    if (member !== null) {
      deps.lock.succeed()
      return member
    }
    deps.lock.fail()
    const other = role === undefined ? null : await findStaffByPin(pin, active.filter((s) => s.role !== role))
    error = other === null ? 'wrong_pin' : 'not_manager'
  }
}

/** The terminal's RequestApproval: a manager's PIN, checked on the device. */
export function createRequestApproval(deps: PinCheckDeps): RequestApproval {
  const now = deps.now ?? Date.now
  return async ({ action, detail }) => {
    const member = await askForStaff(deps, { purpose: 'approval', action, detail }, StaffRole.manager)
    if (member === null) return null
    return { action, staffId: member.id, staffName: member.name, at: now(), detail: detail.slice(0, 500) }
  }
}
