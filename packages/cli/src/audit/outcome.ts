/**
 * How a command ended, in the terms of its audit record. A command returns its outcome rather than a
 * bare exit code, so that a run that found a problem (exit 1) says which in the record's
 * `error_code`, and the record can carry what the run did (`meta`: counts, never content).
 */

/** The `error_code`s the CLI's own records carry (docs/cli.md lists them; a test keeps the two in step). */
export const OUTCOME_CODES = {
  /** verify: a chain or checkpoint does not hold (tampered with, damaged, cut off, unsigned with --require-signed). Exit 1. */
  tampered: 'auditkit.tampered',
  /** verify: the files hold no chained record, so nothing could be verified. Exit 1. */
  notTamperEvident: 'auditkit.not_tamper_evident',
  /** import: some lines were not audit records, or the store refused some. Exit 1. */
  unreadableLines: 'auditkit.unreadable_lines',
  /** reconcile: the files and the store differ. Exit 1. */
  different: 'auditkit.different',
  /** A usage error of the CLI's own (a missing --store, no files given, a bad --alg). Exit 2. */
  usage: 'auditkit.usage',
} as const;

export interface CommandOutcome {
  exitCode: 0 | 1;
  /** With exit 1: one of OUTCOME_CODES. */
  failure?: string;
  /** What the run did, for its record: counts and kinds only. */
  meta?: Record<string, unknown>;
}

/**
 * Thrown by a command's action when its outcome is exit 1: the audit integration records a thrown
 * error as a failure with exit code 1 and the error's `code`, which is exactly this run. Its output
 * has already been written.
 */
export class CommandFailed extends Error {
  readonly code: string;

  constructor(code: string) {
    super(`the command found problems (${code})`);
    this.name = 'CommandFailed';
    this.code = code;
  }
}

/** The `error_code` of an exit-2 run: the error's own code (ENOENT, ECONNREFUSED, AUDITKIT_…), else a usage error. */
export function usageErrorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(code) ? code : OUTCOME_CODES.usage;
}
