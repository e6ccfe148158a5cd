/**
 * auditkit's coded errors. Every code is listed in docs/errors.md; a test keeps the two in step.
 *
 * Configuration errors are thrown once, at construction. Everything that goes wrong later (a sink
 * that cannot write, a user hook that throws) is reported as a fault event and counted, never thrown
 * into the application's request.
 */

export const ERROR_CODES = {
  /** An option has a value auditkit cannot use. Thrown at construction. */
  AUDITKIT_INVALID_OPTION: 'AUDITKIT_INVALID_OPTION',
  /** An option name auditkit does not know, usually a typo. Thrown at construction. */
  AUDITKIT_UNKNOWN_OPTION: 'AUDITKIT_UNKNOWN_OPTION',
  /** A sink could not be opened at construction (Vault's rule: a sink that cannot write is not enabled). */
  AUDITKIT_SINK_UNAVAILABLE: 'AUDITKIT_SINK_UNAVAILABLE',
  /**
   * A sink (or its spool) failed to write records. Reported as a fault; the records stay queued or
   * spooled and are retried. Records still undelivered when close() gives up are counted as failed.
   */
  AUDITKIT_SINK_FAILED: 'AUDITKIT_SINK_FAILED',
  /** A queue or spool was full and records were dropped. Reported as a fault and as an `audit.records_dropped` record, relayed to the other sinks. */
  AUDITKIT_RECORDS_DROPPED: 'AUDITKIT_RECORDS_DROPPED',
  /** A user callback (skip, from, operationType, a resolver) threw. Reported as a fault; the record is kept. */
  AUDITKIT_HOOK_FAILED: 'AUDITKIT_HOOK_FAILED',
  /** A record arrived after close() began. Reported as a fault and counted as dropped. */
  AUDITKIT_CLOSED: 'AUDITKIT_CLOSED',
  /** strict mode refused a request because its record could not be accepted. */
  AUDITKIT_STRICT_REFUSED: 'AUDITKIT_STRICT_REFUSED',
  /** A chained file sink found a tail it could not vouch for at start; it began a new chain recording the break. Reported as a fault. */
  AUDITKIT_CHAIN_BROKEN: 'AUDITKIT_CHAIN_BROKEN',
  /** A command line ran a command with no audit declaration: every value it was given is masked. Reported once per command. */
  AUDITKIT_UNDECLARED_COMMAND: 'AUDITKIT_UNDECLARED_COMMAND',
  /**
   * Requests reached routes that auditkit's middleware never saw (it was mounted after them): they are
   * not audited, and `req.audit` there records nothing. Reported once, naming the fix.
   */
  AUDITKIT_NOT_MOUNTED: 'AUDITKIT_NOT_MOUNTED',
} as const;

export type AuditErrorCode = keyof typeof ERROR_CODES;

/** Base class of every error auditkit creates. */
export class AuditError extends Error {
  readonly code: AuditErrorCode;

  constructor(code: AuditErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuditError';
    this.code = code;
  }
}

/** A bad option: names the option, what is wrong, and how to fix it. */
export class AuditConfigError extends AuditError {
  /** Dotted path of the offending option, e.g. `redact.mode`. */
  readonly option: string;

  constructor(
    code: 'AUDITKIT_INVALID_OPTION' | 'AUDITKIT_UNKNOWN_OPTION' | 'AUDITKIT_SINK_UNAVAILABLE',
    option: string,
    problem: string,
    fix: string,
    cause?: unknown,
  ) {
    super(code, `[auditkit] options.${option}: ${problem}. Fix: ${fix}`, cause === undefined ? undefined : { cause });
    this.name = 'AuditConfigError';
    this.option = option;
  }
}

/** Something went wrong on the audit path after construction; delivered through the auditor's `fault` event. */
export class AuditFault extends AuditError {
  /** The sink concerned, when there is one. */
  readonly sink: string | undefined;

  constructor(code: AuditErrorCode, message: string, sink?: string, cause?: unknown) {
    super(code, `[auditkit] ${message}`, cause === undefined ? undefined : { cause });
    this.name = 'AuditFault';
    this.sink = sink;
  }
}
