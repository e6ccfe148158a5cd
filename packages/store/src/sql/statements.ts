import type { Cursor } from '../model/cursor.js';
import type { DistinctField, FilterSet } from '../model/filter.js';
import type { PageRequest } from '../model/store.js';
import { columnValue } from '../record/columns.js';
import type { SqlDialect } from './dialect.js';
import { SqlParams } from './params.js';
import { col, filterSetConditions, keysetCondition, whereSql } from './where.js';

/**
 * The statements behind every store call, the same text for SQLite and PostgreSQL but for the
 * dialect's few words, so the two answer alike. Each returns its SQL and its bound values.
 */

export interface Statement {
  sql: string;
  params: SqlParams;
}

/** Newest matching records distinct() looks at: bounded work on a table of any size. */
export const DISTINCT_SAMPLE = 100_000;

function start(filters: FilterSet, d: SqlDialect): { p: SqlParams; conditions: string[] } {
  const p = new SqlParams(d.params);
  return { p, conditions: filterSetConditions(filters, d, p) };
}

/** A page in keyset order, one row beyond the limit (to know whether more exist). */
export function pageStatement(filters: FilterSet, page: PageRequest, d: SqlDialect): Statement {
  const { p, conditions } = start(filters, d);
  if (page.after) conditions.push(keysetCondition(page.after, page.direction, p));
  const order = page.direction === 'older' ? 'DESC' : 'ASC';
  return {
    sql: `SELECT r.time, r.id, r.line FROM ${d.table} r ${whereSql(conditions)} ORDER BY r.time ${order}, r.id ${order} LIMIT ${p.add(page.limit + 1)}`,
    params: p,
  };
}

export function getStatement(id: string, filters: FilterSet, d: SqlDialect): Statement {
  const { p, conditions } = start(filters, d);
  conditions.unshift(`${col('id')} = ${p.add(columnValue(id))}`);
  return { sql: `SELECT r.line FROM ${d.table} r ${whereSql(conditions)} LIMIT 1`, params: p };
}

/** Counts at most cap + 1 rows: more than cap means "at least cap". */
export function countStatement(filters: FilterSet, cap: number, d: SqlDialect): Statement {
  const { p, conditions } = start(filters, d);
  return { sql: `SELECT count(*) AS n FROM (SELECT 1 FROM ${d.table} r ${whereSql(conditions)} LIMIT ${p.add(cap + 1)}) c`, params: p };
}

export function distinctStatement(field: DistinctField, filters: FilterSet, limit: number, d: SqlDialect): Statement {
  const { p, conditions } = start(filters, d);
  conditions.push(`${col(field)} IS NOT NULL`);
  return {
    sql:
      `SELECT v AS value, count(*) AS count FROM (SELECT ${col(field)} AS v FROM ${d.table} r ${whereSql(conditions)} ` +
      `ORDER BY r.time DESC, r.id DESC LIMIT ${p.add(DISTINCT_SAMPLE)}) s GROUP BY v ORDER BY count(*) DESC, v LIMIT ${p.add(limit)}`,
    params: p,
  };
}

/**
 * Totals and failures per bucket, as two counts that each read only an index: the totals from the
 * index the filters pick (time alone: `records_time`), the failures from `(operation_result, time)`.
 * One count with `sum(CASE operation_result …)` would fetch every row of the range from the table
 * (measured: 611 ms for a day of 140,000 records on SQLite, docs/benchmarks-dashboard.md).
 */
export function histogramStatement(filters: FilterSet, range: { from: number; to: number }, width: number, d: SqlDialect): Statement {
  const p = new SqlParams(d.params);
  const counts = (extra: string[]): string => {
    const conditions = filterSetConditions(filters, d, p);
    conditions.push(`${col('time')} >= ${p.add(range.from)}`, `${col('time')} <= ${p.add(range.to)}`, ...extra);
    // Explicit truncation: better-sqlite3 binds numbers as REAL, which would make the division fractional.
    return `SELECT CAST((r.time - ${p.add(range.from)}) / ${p.add(width)} AS INTEGER) AS b, count(*) AS n FROM ${d.table} r ${whereSql(conditions)} GROUP BY 1`;
  };
  const totals = counts([]);
  const failures = counts([`${col('operation_result')} = ${p.add('failure')}`]);
  return {
    sql:
      `SELECT b, sum(total) AS total, sum(failures) AS failures FROM (` +
      `SELECT b, n AS total, 0 AS failures FROM (${totals}) t UNION ALL SELECT b, 0, n FROM (${failures}) f) c GROUP BY b`,
    params: p,
  };
}

/** Live feed: rows stored after the cursor, oldest first. `time` in its cursors is `stored_at`. */
export function sinceStatement(filters: FilterSet, after: Cursor, limit: number, d: SqlDialect): Statement {
  const { p, conditions } = start(filters, d);
  conditions.push(`(r.stored_at, r.id) > (${p.add(after.time)}, ${p.add(columnValue(after.id))})`);
  if (d.liveSettled) conditions.push(d.liveSettled(p));
  return { sql: `SELECT r.stored_at AS time, r.id, r.line FROM ${d.table} r ${whereSql(conditions)} ORDER BY r.stored_at, r.id LIMIT ${p.add(limit)}`, params: p };
}

/** Where a live feed that gives no cursor starts: after the newest row stored so far. */
export function livePositionStatement(d: SqlDialect): Statement {
  const p = new SqlParams(d.params);
  const conditions = d.liveSettled ? [d.liveSettled(p)] : [];
  return { sql: `SELECT r.stored_at AS time, r.id FROM ${d.table} r ${whereSql(conditions)} ORDER BY r.stored_at DESC, r.id DESC LIMIT 1`, params: p };
}
