import { ipKey } from './ip-key.js';
import { searchText, type SearchTextOptions } from './search-text.js';

/**
 * A stored record: the canonical line as written, and the columns the filters run on, taken from it
 * once, here, for both backends (so both index exactly the same values).
 */
export interface RecordRow {
  id: string;
  /** Epoch µs. */
  time: number;
  node: string | null;
  from: string | null;
  source: string | null;
  operation_id: string | null;
  operation_type: string | null;
  operation_result: string | null;
  http_method: string | null;
  request_id: string | null;
  event: string | null;
  target_type: string | null;
  target_id: string | null;
  source_ip: string | null;
  /** 16-byte address key (see ip-key.ts), null when source_ip is not an address. */
  ip_key: Buffer | null;
  http_status_code: number | null;
  duration_ms: number | null;
  /** Lower-cased searchable text (see search-text.ts). */
  text: string;
  line: string;
}

/** The line is not a record the store can keep (not JSON, no id or time). */
export class UnstorableLine extends Error {
  constructor(problem: string) {
    super(`not a storable audit record: ${problem}`);
    this.name = 'UnstorableLine';
  }
}

/**
 * Text columns never hold U+0000: PostgreSQL's text type cannot, and SQLite must store the same
 * value. A filter value goes through the same function (see `columnValue`), so it still matches.
 */
export function columnValue(value: string): string {
  return value.includes('\u0000') ? value.replace(/\u0000/g, '\uFFFD') : value;
}

const MAX_COLUMN = 1024;

function text(value: unknown): string | null {
  if (typeof value === 'string') return columnValue(value.length > MAX_COLUMN ? value.slice(0, MAX_COLUMN) : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

function integer(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : null;
}

function finite(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Columns of a canonical line. Throws UnstorableLine when it lacks what every record has. */
export function recordRow(line: string, options: SearchTextOptions): RecordRow {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    throw new UnstorableLine('the line is not JSON');
  }
  if (record === null || typeof record !== 'object' || Array.isArray(record)) throw new UnstorableLine('the line is not a JSON object');
  const r = record as Record<string, unknown>;
  if (typeof r.id !== 'string' || r.id.length === 0 || r.id.length > 128) throw new UnstorableLine('it has no id');
  if (typeof r.time !== 'number' || !Number.isSafeInteger(r.time) || r.time < 0) throw new UnstorableLine('it has no time in epoch µs');
  const target = r.target !== null && typeof r.target === 'object' ? (r.target as Record<string, unknown>) : undefined;
  const sourceIp = text(r.source_ip);
  return {
    id: columnValue(r.id),
    time: r.time,
    node: text(r.node),
    from: text(r.from),
    source: text(r.source),
    operation_id: text(r.operation_id),
    operation_type: text(r.operation_type),
    operation_result: text(r.operation_result),
    http_method: text(r.http_method),
    request_id: text(r.request_id),
    event: text(r.event),
    target_type: text(target?.type),
    target_id: text(target?.id),
    source_ip: sourceIp,
    ip_key: sourceIp === null ? null : (ipKey(sourceIp) ?? null),
    http_status_code: integer(r.http_status_code),
    duration_ms: finite(r.duration_ms),
    text: searchText(r, options),
    line,
  };
}
