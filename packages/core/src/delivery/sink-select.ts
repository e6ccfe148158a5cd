import type { RecordHead } from '../record/entry.js';
import { compilePattern, globToRegExp, isGlob } from '../policy/route-pattern.js';
import { describe, fail, isPlainObject, onlyKeys, type Obj } from '../shared/validate.js';
import type { DetailLevel } from '../model/record.js';

/**
 * Which records one sink takes (Mattermost's discrete levels, in auditkit's terms): a pager that
 * hears only failures, a SIEM that takes only what left the API, a compliance file that keeps the
 * response bodies. Each criterion given must match; within one, any listed value does. A criterion
 * on a field the record does not carry (the result of a drop notice, the level of detail of an
 * application event) does not match.
 *
 * A record a sink does not take is not offered to it at all: it is neither accepted nor dropped
 * there, only counted in the sink's `skipped`. Drop notices (`audit.records_dropped`) are the
 * trail's account of itself and reach every sink whatever its selection.
 */

export type ResultName = 'success' | 'failure' | 'attempt';

export interface SinkSelect {
  /** Levels of detail the request records were made at (`audit_level`): `metadata`, `request`, `request-response`. */
  level?: DetailLevel | readonly DetailLevel[];
  /** `operation_result`: `failure` for a pager. */
  result?: ResultName | readonly ResultName[];
  /** The `from` field: `rest_api`, `dashboard`, `cli`, ... */
  from?: string | readonly string[];
  /** Event names, or globs where `*` is any run of characters: `request`, `user.*`, `audit.*`. */
  event?: string | readonly string[];
  /** `operation_id`: route templates or globs as in `routes` (`/admin/**`, `/users/:id`), or, for events and commands, names with `*` (`invoice.*`). */
  operation?: string | readonly string[];
}

const LEVELS: readonly DetailLevel[] = ['metadata', 'request', 'request-response'];
const RESULTS: readonly ResultName[] = ['success', 'failure', 'attempt'];
const KEYS = ['level', 'result', 'from', 'event', 'operation'] as const;

type Test = (value: string) => boolean;

export class RecordSelector {
  /** The selection as configured, for the `audit.start` record's configuration summary. */
  readonly summary: Readonly<Record<string, readonly string[]>>;
  readonly #tests: ReadonlyArray<readonly [field: string, test: Test]>;

  constructor(summary: Record<string, readonly string[]>, tests: Array<readonly [string, Test]>) {
    this.summary = Object.freeze(summary);
    this.#tests = tests;
  }

  /** Whether the sink takes a record with these top-level facts. Runs per record: a few field reads. */
  takes(head: RecordHead): boolean {
    const h = head as unknown as Record<string, unknown>;
    for (const [field, test] of this.#tests) {
      const value = h[field];
      if (typeof value !== 'string' || !test(value)) return false;
    }
    return true;
  }
}

/** The record field each criterion reads. */
const FIELD: Record<(typeof KEYS)[number], string> = {
  level: 'audit_level',
  result: 'operation_result',
  from: 'from',
  event: 'event',
  operation: 'operation_id',
};

/** Validates `sinks[i].select` once; `undefined` when the sink takes every record. */
export function compileSelect(value: unknown, option: string): RecordSelector | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) fail(option, `must be an object, got ${describe(value)}`, "use { result: 'failure' } or { operation: ['/admin/**'] }");
  onlyKeys(value, KEYS, option);
  const summary: Record<string, string[]> = {};
  const tests: Array<readonly [string, Test]> = [];
  for (const key of KEYS) {
    const list = listAt(value, key, `${option}.${key}`);
    if (list === undefined) continue;
    summary[key] = list;
    tests.push([FIELD[key], testFor(key, list, `${option}.${key}`)]);
  }
  if (tests.length === 0) fail(option, 'selects nothing: it has no criterion', "add one, e.g. { result: 'failure' }, or remove select to take every record");
  return new RecordSelector(summary, tests);
}

function listAt(obj: Obj, key: string, option: string): string[] | undefined {
  const raw = obj[key];
  if (raw === undefined) return undefined;
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list) || list.length === 0) fail(option, `must be a string or a non-empty array of strings, got ${describe(raw)}`, `use "${key === 'result' ? 'failure' : 'value'}" or ["a", "b"]`);
  list.forEach((item: unknown, i: number) => {
    if (typeof item !== 'string' || item.length === 0) fail(`${option}[${i}]`, `must be a non-empty string, got ${describe(item)}`, 'use a string');
  });
  return [...(list as string[])];
}

/** Names (events, operations that are not routes): exact, or `*` for any run of characters (`user.*`). */
function nameTest(list: readonly string[]): Test {
  const exact = new Set(list.filter((e) => !isGlob(e)));
  const globs = list.filter(isGlob).map((e) => globToRegExp(e.replace(/\*+/g, '**')));
  return (v) => exact.has(v) || globs.some((g) => g.test(v));
}

function testFor(key: (typeof KEYS)[number], list: string[], option: string): Test {
  if (key === 'level') {
    for (const l of list) {
      if (LEVELS.includes(l as DetailLevel)) continue;
      const hint = ['info', 'warn', 'error'].includes(l)
        ? `select.level is the level of detail a request was recorded at, not the record's severity; for failures use result: 'failure'`
        : l === 'none'
          ? "records at level 'none' are never made; leave it out"
          : `use one of ${LEVELS.map((x) => `'${x}'`).join(', ')}`;
      fail(option, `has ${describe(l)}, which is not a level of detail`, hint);
    }
  }
  if (key === 'result') {
    for (const r of list) if (!RESULTS.includes(r as ResultName)) fail(option, `has ${describe(r)}, which is not a result`, "use 'success', 'failure' or 'attempt'");
  }
  if (key === 'operation') {
    // Route templates and globs as in `routes`; an event's or a command's operation_id (`user.created`) as `event` reads names.
    const tests = list.map((p, i): Test => {
      if (p.startsWith('/') || p.startsWith('**')) {
        const pattern = compilePattern(p);
        return (t) => pattern.matches(t);
      }
      if (p.includes('/')) fail(`${option}[${i}]`, `looks like a route without its leading "/": ${describe(p)}`, 'write it as the route is declared, e.g. "/admin/**"');
      return nameTest([p]);
    });
    return (v) => tests.some((t) => t(v));
  }
  if (key === 'event') return nameTest(list);
  const allowed = new Set(list);
  return (v) => allowed.has(v);
}
