import type { Auditor, AuditStats, CloseOptions } from './auditor.js';

/** What a middleware carries besides being a middleware: the auditor behind it and its lifecycle. */
export interface AuditorControls {
  /** The core auditor: `stats()`, `on('fault', ...)`. */
  readonly auditor: Auditor;
  /** Writes every accepted record and flushes the transports, within `timeoutMs` (default 10 s). Call after the server has closed. */
  close(options?: CloseOptions): Promise<void>;
  stats(): AuditStats;
}

/** Attaches the auditor's controls to a middleware function, read-only. */
export function withControls<F extends object>(middleware: F, auditor: Auditor): F & AuditorControls {
  return Object.defineProperties(middleware, {
    auditor: { value: auditor, enumerable: true },
    close: { value: (options?: CloseOptions) => auditor.close(options), enumerable: true },
    stats: { value: () => auditor.stats(), enumerable: true },
  }) as F & AuditorControls;
}
