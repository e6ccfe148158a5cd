/**
 * The searchable text of a record: what free text (`q`) matches against. It is the words a person
 * would look for: the operator, the route and the values it was called with, the target, the body and
 * what the handler attached. Never headers (where credentials live, masked or not), never a masked or
 * HMACed value, never the record's bookkeeping (ids, times, levels).
 *
 * The text is lower-cased here, in JavaScript, and so is the query: both backends then run a plain
 * case-sensitive substring match over the same string (SQLite FTS5 trigram with case_sensitive 1,
 * PostgreSQL LIKE over a pg_trgm index), so they cannot disagree about what "case-insensitive" means.
 */

/**
 * Values are joined with a newline, and a newline inside a value or a query is read as a space, so a
 * query never matches across two values. U+0000 becomes U+FFFD, as in every text column.
 */
export const SEARCH_SEPARATOR = '\n';

/** Longest searchable text kept per record, in characters: bounds the trigram index per record. */
export const MAX_SEARCH_TEXT = 8192;

const TRUNCATED_MARK = '…[truncated]';
const HMAC_PREFIX = 'hmac-sha256:';

export interface SearchTextOptions {
  /** The redaction mask (`redact.mask`, default `******`): values equal to it are not searchable. */
  mask: string;
}

/** A query as it is matched: lower-cased, newlines as spaces, U+0000 as U+FFFD, like the text. */
export function normaliseQueryText(text: string): string {
  return text.replace(/\n/g, ' ').replace(/\u0000/g, '\uFFFD').toLowerCase();
}

function isRedacted(value: string, mask: string): boolean {
  return value === mask || value.startsWith(HMAC_PREFIX);
}

class TextCollector {
  readonly parts: string[] = [];
  length = 0;
  readonly #mask: string;

  constructor(mask: string) {
    this.#mask = mask;
  }

  add(value: unknown): void {
    if (this.length >= MAX_SEARCH_TEXT) return;
    if (typeof value === 'string') {
      if (value.length === 0 || isRedacted(value, this.#mask)) return;
      let text = value.endsWith(TRUNCATED_MARK) ? value.slice(0, -TRUNCATED_MARK.length) : value;
      if (text.includes('\n')) text = text.replace(/\n/g, ' ');
      this.parts.push(text);
      this.length += text.length + 1;
    } else if (typeof value === 'number' || typeof value === 'boolean') {
      const text = String(value);
      this.parts.push(text);
      this.length += text.length + 1;
    }
  }

  /** Every leaf value of a JSON value, depth first, skipping budget markers. */
  addLeaves(value: unknown): void {
    if (value === null || typeof value !== 'object') return this.add(value);
    if (Array.isArray(value)) {
      for (const item of value) {
        if (item !== null && typeof item === 'object' && !Array.isArray(item) && '$truncated' in item && Object.keys(item).length === 1) continue;
        this.addLeaves(item);
      }
      return;
    }
    for (const [key, item] of Object.entries(value)) if (key !== '$truncated') this.addLeaves(item);
  }
}

/** The searchable text of a parsed record. */
export function searchText(record: Record<string, unknown>, options: SearchTextOptions): string {
  const c = new TextCollector(options.mask);
  c.add(record.source);
  c.add(record.operation_id);
  c.add(record.event);
  const target = record.target;
  if (target !== null && typeof target === 'object') {
    const t = target as Record<string, unknown>;
    c.add(t.type);
    c.add(t.id);
    c.add(t.name);
  }
  c.addLeaves(record.bindings);
  c.addLeaves(record.query_string);
  const request = record.http_request;
  if (request !== null && typeof request === 'object') c.addLeaves((request as Record<string, unknown>).body);
  c.addLeaves(record.meta);
  let text = c.parts.join(SEARCH_SEPARATOR);
  if (text.length > MAX_SEARCH_TEXT) text = text.slice(0, MAX_SEARCH_TEXT);
  return text.replace(/\u0000/g, '\uFFFD').toLowerCase();
}
