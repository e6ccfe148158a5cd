import type { Cursor } from '../model/cursor.js';
import type { HistogramBucket, PageRequest, StoredPage } from '../model/store.js';

/** Turning result rows into pages and buckets: the same for both backends. */

export interface PageRow {
  time: number | string;
  id: string;
  line: string;
}

/** Where a live feed starts on an empty store: before any record. */
export const LIVE_START: Cursor = Object.freeze({ time: 0, id: '0' });

/** A page from rows fetched with one row beyond the limit (which says whether more exist). */
export function pageOf(rows: PageRow[], page: PageRequest): StoredPage {
  const more = rows.length > page.limit;
  if (more) rows.length = page.limit;
  if (page.direction === 'newer') rows.reverse();
  const first = rows[0];
  const last = rows.at(-1);
  const cursor = (r: PageRow): Cursor => ({ time: Number(r.time), id: r.id });
  if (page.direction === 'older') {
    return {
      lines: rows.map((r) => r.line),
      next: more && last ? cursor(last) : null,
      // Rows newer than this page exist when it started from a cursor (the row the cursor came from, at least).
      prev: page.after ? (first ? cursor(first) : page.after) : null,
    };
  }
  return {
    lines: rows.map((r) => r.line),
    next: last ? cursor(last) : (page.after ?? null),
    prev: more && first ? cursor(first) : null,
  };
}

export function bucketWidth(range: { from: number; to: number }, buckets: number): number {
  return Math.max(1, Math.ceil((range.to - range.from + 1) / buckets));
}

export function fillBuckets(range: { from: number; to: number }, buckets: number, width: number, rows: Array<{ b: number | string; total: number | string; failures: number | string | null }>): HistogramBucket[] {
  const out: HistogramBucket[] = [];
  for (let i = 0; i < buckets; i++) out.push({ start: range.from + i * width, total: 0, failures: 0 });
  for (const row of rows) {
    const bucket = out[Number(row.b)];
    if (bucket) {
      bucket.total = Number(row.total);
      bucket.failures = Number(row.failures ?? 0);
    }
  }
  return out;
}


/** Every matching line, newest first, page by page along the keyset: memory stays one page. */
export async function* scanByKeyset(
  query: (page: PageRequest) => Promise<StoredPage>,
  batchSize: number,
): AsyncGenerator<string[]> {
  let after: Cursor | undefined;
  for (;;) {
    const page = await query({ limit: batchSize, direction: 'older', ...(after ? { after } : {}) });
    if (page.lines.length > 0) yield page.lines;
    if (page.next === null) return;
    after = page.next;
  }
}
