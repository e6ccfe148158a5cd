import { parseArgs } from 'node:util';
import { DAY_MICROS } from '@auditkit/store';
import { openStoreUrl } from './store-url.js';
import { readTrail, type TrailProblem } from './trail-reader.js';

interface Streams {
  out: { write(s: string): unknown };
  err: { write(s: string): unknown };
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
export async function importCommand(args: string[], io: Streams): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { store: { type: 'string' }, 'max-age-days': { type: 'string' }, json: { type: 'boolean' } } });
  if (positionals.length === 0) throw new Error('give the audit files or directories to import');
  if (!values.store) throw new Error('--store is required: sqlite:./audit.db or postgres://user@host/db');
  const maxAgeDays = ageFlag(values['max-age-days']);
  const store = await openStoreUrl(values.store);
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
    for await (const record of readTrail(positionals, problems)) {
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
  if (values.json) io.out.write(JSON.stringify({ ...totals, problems }, null, 2) + '\n');
  else {
    io.out.write(
      `read ${totals.read} records: ${totals.inserted} imported, ${totals.duplicates} already in the store, ` +
        `${totals.expired} older than ${maxAgeDays ?? '∞'} days (not imported)\n`,
    );
    for (const p of problems.slice(0, 50)) io.err.write(`${p.file}:${p.lineNumber}: ${p.problem}\n`);
    if (problems.length > 50) io.err.write(`… and ${problems.length - 50} more unreadable lines\n`);
  }
  return problems.length > 0 || totals.rejected > 0 ? 1 : 0;
}

/** `--max-age-days`: the store's age limit (default 92, the store's default); `none` for no limit. */
export function ageFlag(value: string | undefined): number | null {
  if (value === undefined) return 92;
  if (value === 'none') return null;
  const n = Number(value);
  if (!(n > 0)) throw new Error(`--max-age-days must be a number of days or "none", got ${JSON.stringify(value)}`);
  return n;
}
