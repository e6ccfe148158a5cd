import { MATCH_FIELDS, type AuditFilter, type FilterSet, type IpMatch, type Range, type StatusMatch, type ValueMatch } from '../model/filter.js';
import type { Cursor } from '../model/cursor.js';
import { columnValue } from '../record/columns.js';
import { cidrRange, ipKey } from '../record/ip-key.js';
import { normaliseQueryText } from '../record/search-text.js';
import type { SqlDialect } from './dialect.js';
import type { SqlParams } from './params.js';

/**
 * AuditFilter → SQL conditions, shared by both backends so they answer every filter the same way.
 * Only the filters present produce a condition (never `(:p IS NULL OR col = :p)`, which keeps the
 * planner from using the composite indexes), and every value is a bound parameter.
 *
 * Negations (`!value`) keep rows where the column is NULL: a record without an operator is "not
 * alice". They are written `(cond) IS NOT TRUE`, which both SQLite and PostgreSQL read that way.
 */

/** Column names are fixed identifiers, quoted because `from` is a keyword. */
export function col(name: string): string {
  return `r."${name}"`;
}

function negated(condition: string, negate: boolean): string {
  return negate ? `(${condition}) IS NOT TRUE` : condition;
}

function valueCondition(column: string, match: ValueMatch, p: SqlParams): string {
  if (match.values.length === 0) return match.negate ? '1 = 1' : '1 = 0';
  const values = match.values.map(columnValue);
  const condition = values.length === 1 ? `${col(column)} = ${p.add(values[0])}` : `${col(column)} IN (${p.list(values)})`;
  return negated(condition, match.negate);
}

function rangeCondition(column: string, range: Range, p: SqlParams): string[] {
  const out: string[] = [];
  if (range.gte !== undefined) out.push(`${col(column)} >= ${p.add(range.gte)}`);
  if (range.lte !== undefined) out.push(`${col(column)} <= ${p.add(range.lte)}`);
  return out;
}

function statusCondition(match: StatusMatch, p: SqlParams): string {
  const parts: string[] = [];
  if (match.values.length === 1) parts.push(`${col('http_status_code')} = ${p.add(match.values[0])}`);
  else if (match.values.length > 1) parts.push(`${col('http_status_code')} IN (${p.list(match.values)})`);
  for (const range of match.ranges) {
    const bounds = rangeCondition('http_status_code', range, p);
    parts.push(bounds.length === 0 ? `${col('http_status_code')} IS NOT NULL` : bounds.join(' AND '));
  }
  if (parts.length === 0) return match.negate ? '1 = 1' : '1 = 0';
  return negated(parts.length === 1 ? parts[0]! : parts.map((s) => `(${s})`).join(' OR '), match.negate);
}

function ipCondition(match: IpMatch, p: SqlParams): string {
  const parts: string[] = [];
  const keys: Buffer[] = [];
  const others: string[] = [];
  for (const address of match.addresses) {
    const key = ipKey(address);
    if (key) keys.push(key);
    else others.push(columnValue(address));
  }
  if (keys.length === 1) parts.push(`${col('ip_key')} = ${p.add(keys[0])}`);
  else if (keys.length > 1) parts.push(`${col('ip_key')} IN (${p.list(keys)})`);
  for (const cidr of match.cidrs) {
    const { low, high } = cidrRange(cidr);
    parts.push(`${col('ip_key')} BETWEEN ${p.add(low)} AND ${p.add(high)}`);
  }
  // Not an address (a proxy's "unknown", say): compared as written.
  if (others.length > 0) parts.push(`${col('source_ip')} IN (${p.list(others)})`);
  if (parts.length === 0) return match.negate ? '1 = 1' : '1 = 0';
  return negated(parts.length === 1 ? parts[0]! : parts.map((s) => `(${s})`).join(' OR '), match.negate);
}

function filterConditions(filter: AuditFilter, dialect: SqlDialect, p: SqlParams): string[] {
  const out: string[] = [];
  if (filter.match) {
    for (const field of MATCH_FIELDS) {
      const match = filter.match[field];
      if (match) out.push(valueCondition(field, match, p));
    }
  }
  if (filter.source_ip) out.push(ipCondition(filter.source_ip, p));
  if (filter.http_status_code) out.push(statusCondition(filter.http_status_code, p));
  if (filter.time) out.push(...rangeCondition('time', filter.time, p));
  if (filter.duration_ms) out.push(...rangeCondition('duration_ms', filter.duration_ms, p));
  if (filter.text !== undefined) {
    const needle = normaliseQueryText(filter.text);
    if (needle.length > 0) out.push(dialect.textContains(needle, p));
  }
  return out;
}

/** The conditions of every filter in the set, ANDed by the caller. */
export function filterSetConditions(filters: FilterSet, dialect: SqlDialect, p: SqlParams): string[] {
  return filters.flatMap((f) => filterConditions(f, dialect, p));
}

/** Keyset position: rows strictly older (`<`) or newer (`>`) than the cursor in (time, id) order. */
export function keysetCondition(cursor: Cursor, direction: 'older' | 'newer', p: SqlParams): string {
  return `(${col('time')}, ${col('id')}) ${direction === 'older' ? '<' : '>'} (${p.add(cursor.time)}, ${p.add(columnValue(cursor.id))})`;
}

export function whereSql(conditions: readonly string[]): string {
  return conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
}
