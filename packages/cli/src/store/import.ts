import { DAY_MICROS } from '@auditkit/store';
import { OUTCOME_CODES, type CommandOutcome } from '../audit/outcome.js';
import type { Streams } from '../streams.js';
import type { StoreArgument } from './store-argument.js';
import { openStoreUrl } from './store-url.js';
import { readTrail, type TrailProblem } from './trail-reader.js';

export interface ImportFlags {
  store?: StoreArgument;
  maxAgeDays?: string;
  json?: boolean;
}

const BATCH = 1000;

/**
 * `auditkit import <files or dirs> --store <url> [--max-age-days 92] [--json]`
 *
 * Loads JSON-lines trails into a store, in batches committed one transaction each. Idempotent: a
 * record whose id the store holds is skipped, so importing twice changes nothing. Records older than
 * the store's age limit are not loaded (retention would delete them). Exit 0 when every line was a
 * record, 1 when some could not be read (they are listed), 2 on usage errors.
 */
export async function importCommand(paths: readonly string[], flags: ImportFlags, io: Streams): Promise<CommandOutcome> {
  if (paths.length === 0) throw new Error('give the audit files or directories to import');
  if (!flags.store?.url) throw new Error('--store is required: sqlite:./audit.db or postgres://user@host/db');
  const maxAgeDays = ageFlag(flags.maxAgeDays);
  const store = await openStoreUrl(flags.store.url);
  const problems: TrailProblem[] = [];
  const totals = { read: 0, inserted: 0, duplicates: 0, expired: 0, rejected: 0 };
  const cutoff = maxAgeDays === null ? null : Date.now() * 1000 - maxAgeDays * DAY_MICROS;
  try {
    let batch: string[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const r = await store.write(batch);
      totals.inserted += r.inserted;
      totals.duplicates += r.duplicates;
      totals.rejected += r.rejected.length;
      batch = [];
    };
    for await (const record of readTrail(paths, problems)) {
      totals.read++;
      if (cutoff !== null && record.time < cutoff) {
        totals.expired++;
        continue;
      }
      batch.push(record.line);
      if (batch.length >= BATCH) await flush();
    }
    await flush();
  } finally {
    await store.close();
  }
  if (flags.json) io.out.write(JSON.stringify({ ...totals, problems }, null, 2) + '\n');
  else {
    io.out.write(
      `read ${totals.read} records: ${totals.inserted} imported, ${totals.duplicates} already in the store, ` +
        `${totals.expired} older than ${maxAgeDays ?? '∞'} days (not imported)\n`,
    );
    for (const p of problems.slice(0, 50)) io.err.write(`${p.file}:${p.lineNumber}: ${p.problem}\n`);
    if (problems.length > 50) io.err.write(`… and ${problems.length - 50} more unreadable lines\n`);
  }
  const meta = { ...totals, problems: problems.length };
  return problems.length > 0 || totals.rejected > 0 ? { exitCode: 1, failure: OUTCOME_CODES.unreadableLines, meta } : { exitCode: 0, meta };
}

/** `--max-age-days`: the store's age limit (default 92, the store's default); `none` for no limit. */
export function ageFlag(value: string | undefined): number | null {
  if (value === undefined) return 92;
  if (value === 'none') return null;
  const n = Number(value);
  if (!(n > 0)) throw new Error(`--max-age-days must be a number of days or "none", got ${JSON.stringify(value)}`);
  return n;
}
