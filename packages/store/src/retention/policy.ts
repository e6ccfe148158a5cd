import { failOption, integerAt } from '@auditkit/core';

/**
 * How long a store keeps records. Both limits apply; whichever removes more wins.
 *
 * - `maxAgeDays`, default 92: PCI DSS 10.5.1 asks for at least the last three months "immediately
 *   available for analysis", and three calendar months are at most 92 days. The file trail is the
 *   long-term archive (PCI: 12 months); the store is the searchable window over it.
 * - `maxRecords`, default 10,000,000: a cap so a burst cannot fill the disk. At about 4 KB a record
 *   with its indexes, 10 million records are about 40 GB; a service writing one record a second
 *   stores about 8 million in 92 days. Size it to your volume (docs/store.md); `null` turns it off.
 */
export interface RetentionOptions {
  /** Keep at most this many records (the newest). `null`: no count limit. Default 10,000,000. */
  maxRecords?: number | null;
  /** Remove records older than this many days. `null`: no age limit. Default 92. */
  maxAgeDays?: number | null;
  /** How often retention runs, in ms. Default 60,000. It also runs once when the store opens. */
  intervalMs?: number;
}

export interface RetentionPolicy {
  readonly maxRecords: number | null;
  readonly maxAgeDays: number | null;
  readonly intervalMs: number;
}

export const DEFAULT_MAX_RECORDS = 10_000_000;
export const DEFAULT_MAX_AGE_DAYS = 92;
export const DEFAULT_RETENTION_INTERVAL_MS = 60_000;
export const DAY_MICROS = 86_400_000_000;

export function resolveRetention(maxRecords: unknown, maxAgeDays: unknown, intervalMs: unknown, prefix = ''): RetentionPolicy {
  const records = maxRecords === null ? null : integerAt(maxRecords, `${prefix}maxRecords`, DEFAULT_MAX_RECORDS, 1, Number.MAX_SAFE_INTEGER);
  if (maxAgeDays !== undefined && maxAgeDays !== null && (typeof maxAgeDays !== 'number' || !(maxAgeDays > 0) || maxAgeDays > 36_500)) {
    failOption(`${prefix}maxAgeDays`, `must be a number of days from 0 to 36500 (fractions allowed) or null, got ${String(maxAgeDays)}`, 'use 92 (three months, PCI DSS 10.5.1) or null for no age limit');
  }
  return Object.freeze({
    maxRecords: records,
    maxAgeDays: maxAgeDays === null ? null : ((maxAgeDays as number | undefined) ?? DEFAULT_MAX_AGE_DAYS),
    intervalMs: integerAt(intervalMs, `${prefix}retentionIntervalMs`, DEFAULT_RETENTION_INTERVAL_MS, 100, 86_400_000),
  });
}

/** Records with `time` below this (epoch µs) are past `maxAgeDays`; null without an age limit. */
export function ageCutoff(policy: RetentionPolicy, nowMicros: number): number | null {
  return policy.maxAgeDays === null ? null : Math.floor(nowMicros - policy.maxAgeDays * DAY_MICROS);
}
