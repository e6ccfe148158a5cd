import { recordRow, UnstorableLine, type RecordRow } from './columns.js';
import type { SearchTextOptions } from './search-text.js';

export interface InsertResult {
  /** Rows added. */
  inserted: number;
  /** Records whose id was already stored (a replay, an import run twice). */
  duplicates: number;
  /** Records already past `maxAgeDays`: not stored, retention would remove them at once. */
  expired: number;
  /** Lines that are not records (not JSON, no id or time), with why: skipped, never retried. */
  rejected: Array<{ index: number; problem: string }>;
}

export interface PreparedBatch {
  rows: RecordRow[];
  expired: number;
  rejected: InsertResult['rejected'];
}

/** The rows of a batch of lines, for either backend: unstorable lines and expired records set aside. */
export function prepareBatch(lines: readonly string[], options: SearchTextOptions, cutoff: number | null): PreparedBatch {
  const rows: RecordRow[] = [];
  const rejected: InsertResult['rejected'] = [];
  let expired = 0;
  for (let i = 0; i < lines.length; i++) {
    let row: RecordRow;
    try {
      row = recordRow(lines[i]!, options);
    } catch (err) {
      if (!(err instanceof UnstorableLine)) throw err;
      rejected.push({ index: i, problem: err.message });
      continue;
    }
    if (cutoff !== null && row.time < cutoff) expired++;
    else rows.push(row);
  }
  return { rows, expired, rejected };
}
