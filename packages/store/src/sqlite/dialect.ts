import type { SqlDialect } from '../sql/dialect.js';
import type { SqlParams } from '../sql/params.js';

/** GLOB is case-sensitive (the text is already lower-cased) and its only wildcards are `*`, `?` and `[`. */
function globLiteral(text: string): string {
  return text.replace(/[*?[]/g, (c) => `[${c}]`);
}

/**
 * SQLite: the FTS5 trigram table answers `GLOB '*needle*'` from its index when the needle has three
 * or more characters, and by scanning its own copy of the text when it is shorter; the results are the
 * same either way. One writer at a time, so `stored_at` follows commit order and needs no settling.
 *
 * A needle found in many records is asked the other way round: walk the records newest first (by
 * whichever index the other filters pick) and test each one's text, read straight from the FTS
 * table's own content (its `_content` shadow table, keyed by the same rowid), until the page is full.
 * Fetching every match from the index and sorting them by time would read all of them first.
 */
export function sqliteDialect(commonNeedles: ReadonlySet<string> = NO_NEEDLES): SqlDialect {
  return {
    params: 'named',
    table: 'records',
    textContains(needle: string, p: SqlParams): string {
      const pattern = p.add(`*${globLiteral(needle)}*`);
      return commonNeedles.has(needle)
        ? `EXISTS (SELECT 1 FROM records_text_content c WHERE c.id = r.seq AND c.c0 GLOB ${pattern})`
        : `r.seq IN (SELECT rowid FROM records_text WHERE text GLOB ${pattern})`;
    },
  };
}

const NO_NEEDLES: ReadonlySet<string> = new Set();

/** The glob a needle is matched with (for the engine's probe). */
export function textPattern(needle: string): string {
  return `*${globLiteral(needle)}*`;
}
