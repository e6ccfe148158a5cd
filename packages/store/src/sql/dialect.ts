import type { SqlParams } from './params.js';

/** What differs between the backends when a request becomes SQL. Everything else is shared (statements.ts). */
export interface SqlDialect {
  /** Placeholder style of the driver. */
  readonly params: 'named' | 'dollar';
  /** The records table, qualified as the backend needs (`records`, `"auditkit".records`). */
  readonly table: string;
  /**
   * A condition on the row aliased `r`: its lower-cased searchable text contains `needle` (already
   * lower-cased), as a plain substring.
   */
  textContains(needle: string, params: SqlParams): string;
  /**
   * For the live feed: a condition that holds only for rows whose `stored_at` can no longer be
   * overtaken by a transaction still in flight (PostgreSQL, many writers); none for a single writer.
   */
  liveSettled?(params: SqlParams): string;
}
