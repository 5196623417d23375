/**
 * The ordered list of checks the JIT rules make, and the log that records each one's outcome so
 * that every decision carries all of them, in order, with the ones not reached marked skipped.
 */

/** Every check, in the order `decideJit` makes them. */
export const JIT_CHECKS = [
  'saml_configured',
  'email_present',
  'email_valid',
  'existing_account',
  'not_impersonation',
  'account_status',
  'jit_enabled',
  'jit_defaults',
  'directory_available',
  'domain_eligible',
  'directory_membership',
  'idp_initiated',
] as const;
export type JitCheckName = (typeof JIT_CHECKS)[number];

export type JitCheckOutcome = 'passed' | 'failed' | 'skipped';

/** One rule considered, with what it found in plain words. */
export interface JitCheck {
  check: JitCheckName;
  outcome: JitCheckOutcome;
  detail: string;
}

/** Records checks strictly in `JIT_CHECKS` order; `finish` marks the rest skipped. */
export class JitCheckLog {
  readonly #checks: JitCheck[] = [];

  passed(check: JitCheckName, detail: string): void {
    this.#record({ check, outcome: 'passed', detail });
  }

  failed(check: JitCheckName, detail: string): void {
    this.#record({ check, outcome: 'failed', detail });
  }

  skipped(check: JitCheckName, detail: string): void {
    this.#record({ check, outcome: 'skipped', detail });
  }

  /** All checks: those recorded, then every remaining one as skipped with `detail`. */
  finish(detail: string): JitCheck[] {
    const rest = JIT_CHECKS.slice(this.#checks.length).map((check): JitCheck => ({ check, outcome: 'skipped', detail }));
    return [...this.#checks, ...rest];
  }

  #record(entry: JitCheck): void {
    const expected = JIT_CHECKS[this.#checks.length];
    // A programming error, not a decision: the order is part of the contract shown to admins.
    if (entry.check !== expected) throw new Error(`JIT check ${entry.check} recorded out of order (expected ${String(expected)})`);
    this.#checks.push(entry);
  }
}
