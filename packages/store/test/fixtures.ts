import { canonicalJson } from '@auditkit/core';
import type { AuditFilter, FilterSet } from '@auditkit/store';

/**
 * Twelve records that exercise every filter, with hostile content among them, and the cases run
 * against both backends (the same table, the same expected ids). Expected results are written out by
 * hand from the records below, newest first.
 */

export const T0 = 1_793_491_200_000_000; // 2026-11-01T00:00:00Z in µs
export const HOUR = 3_600_000_000;

export const idOf = (n: number): string => `019a0000-0000-7000-8000-${String(n).padStart(12, '0')}`;

interface Spec {
  n: number;
  hour: number;
  node: string;
  from?: string;
  source?: string | null;
  ip?: string;
  op?: string;
  type?: string;
  result?: 'success' | 'failure';
  method?: string;
  status?: number;
  duration?: number;
  req?: string;
  event?: string;
  target?: { type: string; id: string; name?: string } | null;
  body?: unknown;
  meta?: string;
  bindings?: Record<string, string>;
  query?: Record<string, string>;
}

function requestRecord(s: Spec): string {
  const time = T0 + s.hour * HOUR;
  const record = {
    aborted: false,
    auth_error: null,
    auth_type: s.source ? 'jwt_token' : 'none',
    bindings: s.bindings ?? {},
    duration_ms: s.duration,
    event: s.event ?? 'request',
    from: s.from ?? 'rest_api',
    http_method: s.method,
    http_request: {
      body: s.body ?? null,
      body_bytes: null,
      body_recorded: s.body ? 'full' : 'none',
      body_type: s.body ? 'application/json' : null,
      headers: { authorization: '******', cookie: '******', host: 'api.example.com', 'user-agent': 'curl/8.0' },
      method: (s.method ?? 'get').toUpperCase(),
    },
    http_status_code: s.status,
    id: idOf(s.n),
    level: s.result === 'failure' ? 'warn' : 'info',
    // meta is parsed from JSON text so a `__proto__` key is an own property, as in a parsed body.
    meta: JSON.parse(s.meta ?? '{}') as unknown,
    node: s.node,
    operation_id: s.op,
    operation_result: s.result,
    operation_type: s.type,
    query_string: s.query ?? {},
    request_id: s.req,
    source: s.source ?? null,
    source_ip: s.ip,
    source_verified: Boolean(s.source),
    target: s.target ?? null,
    time,
    truncated: false,
    ts: new Date(time / 1000).toISOString().replace('Z', '000Z'),
    user_agent: 'curl/8.0',
  };
  return canonicalJson(record);
}

const proj = (id: string, name?: string) => ({ type: 'project', id, ...(name ? { name } : {}) });

export const ROBERT = "Robert'); DROP TABLE records;--";

export const LINES: readonly string[] = [
  requestRecord({ n: 1, hour: 1, node: 'node-a', source: 'alice', ip: '10.0.0.1', op: '/projects/:id', type: 'projects', result: 'success', method: 'put', status: 200, duration: 12.5, req: 'req-1', target: proj('42', 'Apollo'), body: { name: 'Project 42', password: '******' } }),
  requestRecord({ n: 2, hour: 2, node: 'node-a', source: 'bob', ip: '::ffff:10.0.0.2', op: '/projects/:id', type: 'projects', result: 'failure', method: 'delete', status: 403, duration: 3, req: 'req-2', target: proj('43') }),
  requestRecord({ n: 3, hour: 3, node: 'node-b', from: 'dashboard', source: 'alice', ip: '192.168.1.5', op: '/users/:id/roles', type: 'users', result: 'success', method: 'post', status: 201, duration: 45, req: 'req-3', event: 'user.role_changed', target: { type: 'user', id: '7', name: 'Ada Lovelace' }, meta: '{"role":"admin","note":"ÄÖÜ große Änderung"}' }),
  requestRecord({ n: 4, hour: 4, node: 'node-b', source: null, ip: '2001:db8::1', op: '/login', type: 'login', result: 'failure', method: 'post', status: 401, duration: 1.2, req: 'req-4', body: { username: 'mallory', password: '******' } }),
  requestRecord({ n: 5, hour: 5, node: 'node-a', from: 'cli', source: ROBERT, ip: '10.1.2.3', op: '/configs/global_zone', type: 'configs', result: 'success', method: 'put', status: 204, duration: 100, req: 'req-5', target: { type: 'config', id: 'global_zone' }, body: { value: '100% _done_ [x] *star*' } }),
  requestRecord({ n: 6, hour: 6, node: 'node-c', source: 'carol', ip: 'unknown', op: '/projects/:id', type: 'projects', result: 'failure', method: 'get', status: 500, duration: 2500, req: 'req-6', target: proj('42'), meta: '{"__proto__":{"polluted":true},"html":"<script>alert(1)</script>"}' }),
  requestRecord({ n: 7, hour: 7, node: 'node-a', source: 'alice', ip: '10.0.0.1', op: '/projects', type: 'projects', result: 'success', method: 'post', status: 201, duration: 30, req: 'req-7', target: proj('44', 'Zeus'), body: { name: 'project 4200' } }),
  requestRecord({ n: 8, hour: 8, node: 'node-b', source: 'bob', ip: '10.0.0.3', op: '/projects/:id', type: 'projects', result: 'failure', method: 'put', status: 404, duration: 8, req: 'req-8', target: proj('99'), bindings: { id: '99' }, query: { q: 'ab' } }),
  canonicalJson({
    dropped: 3,
    event: 'audit.records_dropped',
    first_dropped_at: '2026-11-01T08:59:00.000000Z',
    id: idOf(9),
    last_dropped_at: '2026-11-01T08:59:59.000000Z',
    level: 'error',
    node: 'node-a',
    reason: 'queue_full',
    sink: 'file',
    time: T0 + 9 * HOUR,
    ts: '2026-11-01T09:00:00.000000Z',
  }),
  requestRecord({ n: 10, hour: 10, node: 'node-c', source: 'dave', ip: 'fe80::1', op: '/projects/:id/members', type: 'projects', result: 'success', method: 'patch', status: 200, duration: 0.5, req: 'req-10', meta: '{"tags":["alpha","beta"],"nested":{"deep":{"value":"needle-xyz"}}}' }),
  requestRecord({ n: 11, hour: 11, node: 'node-a', source: 'alice', ip: '10.200.0.9', op: '/projects/:id', type: 'projects', result: 'failure', method: 'put', status: 422, duration: 60, req: 'req-11', target: proj('42'), body: { name: '******' }, meta: '{"ctl":"a\\u0001b\\u0000c"}' }),
  requestRecord({ n: 12, hour: 11, node: 'node-a', source: 'alice', ip: '10.200.0.9', op: '/projects/:id', type: 'projects', result: 'success', method: 'put', status: 200, duration: 60, req: 'req-11', event: 'project.renamed', target: proj('42', 'Apollo 2') }),
];

export const lineOf = (n: number): string => LINES[n - 1]!;

const m = (field: string, values: string[], negate = false): AuditFilter => ({ match: { [field]: { values, negate } } });
const status = (values: number[], ranges: Array<{ gte?: number; lte?: number }> = [], negate = false): AuditFilter => ({ http_status_code: { values, ranges, negate } });
const ip = (addresses: string[], cidrs: Array<[4 | 6, string, number]> = [], negate = false): AuditFilter => ({
  source_ip: { addresses, cidrs: cidrs.map(([family, network, prefix]) => ({ family, network, prefix })), negate },
});

export interface QueryCase {
  name: string;
  filters: FilterSet;
  /** Record numbers, newest first. */
  expect: number[];
}

export const CASES: readonly QueryCase[] = [
  { name: 'no filter: every record, newest first, ties by id', filters: [], expect: [12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1] },
  { name: 'source', filters: [m('source', ['alice'])], expect: [12, 11, 7, 3, 1] },
  { name: 'source, a comma list (OR)', filters: [m('source', ['alice', 'bob'])], expect: [12, 11, 8, 7, 3, 2, 1] },
  { name: 'source excluded keeps records without one', filters: [m('source', ['alice'], true)], expect: [10, 9, 8, 6, 5, 4, 2] },
  { name: 'source holding SQL is matched as data', filters: [m('source', [ROBERT])], expect: [5] },
  { name: 'node', filters: [m('node', ['node-b'])], expect: [8, 4, 3] },
  { name: 'node excluded, a list', filters: [m('node', ['node-a', 'node-b'], true)], expect: [10, 6] },
  { name: 'from', filters: [m('from', ['dashboard'])], expect: [3] },
  { name: 'from cli', filters: [m('from', ['cli'])], expect: [5] },
  { name: 'operation_id', filters: [m('operation_id', ['/projects/:id'])], expect: [12, 11, 8, 6, 2, 1] },
  { name: 'operation_type', filters: [m('operation_type', ['projects'])], expect: [12, 11, 10, 8, 7, 6, 2, 1] },
  { name: 'operation_result', filters: [m('operation_result', ['failure'])], expect: [11, 8, 6, 4, 2] },
  { name: 'operation_result excluded keeps records without one', filters: [m('operation_result', ['success'], true)], expect: [11, 9, 8, 6, 4, 2] },
  { name: 'http_method', filters: [m('http_method', ['put'])], expect: [12, 11, 8, 5, 1] },
  { name: 'request_id', filters: [m('request_id', ['req-11'])], expect: [12, 11] },
  { name: 'event', filters: [m('event', ['user.role_changed'])], expect: [3] },
  { name: 'event excluded', filters: [m('event', ['request'], true)], expect: [12, 9, 3] },
  { name: 'target_type', filters: [m('target_type', ['project'])], expect: [12, 11, 8, 7, 6, 2, 1] },
  { name: 'target_id', filters: [m('target_id', ['42'])], expect: [12, 11, 6, 1] },
  { name: 'an empty value list matches nothing', filters: [m('source', [])], expect: [] },
  { name: 'http_status_code', filters: [status([404])], expect: [8] },
  { name: 'http_status_code >=400', filters: [status([], [{ gte: 400 }])], expect: [11, 8, 6, 4, 2] },
  { name: 'http_status_code 400-499', filters: [status([], [{ gte: 400, lte: 499 }])], expect: [11, 8, 4, 2] },
  { name: 'http_status_code <300', filters: [status([], [{ lte: 299 }])], expect: [12, 10, 7, 5, 3, 1] },
  { name: 'http_status_code list', filters: [status([200, 201])], expect: [12, 10, 7, 3, 1] },
  { name: 'http_status_code excluded keeps records without one', filters: [status([], [{ gte: 400 }], true)], expect: [12, 10, 9, 7, 5, 3, 1] },
  { name: 'http_status_code value or range', filters: [status([404], [{ gte: 500, lte: 599 }])], expect: [8, 6] },
  { name: 'source_ip exact, IPv4-mapped written either way', filters: [ip(['10.0.0.1'])], expect: [7, 1] },
  { name: 'source_ip exact IPv4-mapped form', filters: [ip(['::ffff:10.0.0.2'])], expect: [2] },
  { name: 'source_ip plain form of a mapped address', filters: [ip(['10.0.0.2'])], expect: [2] },
  { name: 'source_ip CIDR /8', filters: [ip([], [[4, '10.0.0.0', 8]])], expect: [12, 11, 8, 7, 5, 2, 1] },
  { name: 'source_ip CIDR /30', filters: [ip([], [[4, '10.0.0.0', 30]])], expect: [8, 7, 2, 1] },
  { name: 'source_ip IPv6 CIDR', filters: [ip([], [[6, '2001:db8::', 32]])], expect: [4] },
  { name: 'source_ip link-local CIDR', filters: [ip([], [[6, 'fe80::', 10]])], expect: [10] },
  { name: 'source_ip every IPv4 (mapped /96)', filters: [ip([], [[6, '::ffff:0:0', 96]])], expect: [12, 11, 8, 7, 5, 3, 2, 1] },
  { name: 'source_ip CIDR excluded keeps non-addresses', filters: [ip([], [[4, '10.0.0.0', 8]], true)], expect: [10, 9, 6, 4, 3] },
  { name: 'source_ip that is not an address', filters: [ip(['unknown'])], expect: [6] },
  { name: 'time from', filters: [{ time: { gte: T0 + 5 * HOUR } }], expect: [12, 11, 10, 9, 8, 7, 6, 5] },
  { name: 'time until', filters: [{ time: { lte: T0 + 3 * HOUR } }], expect: [3, 2, 1] },
  { name: 'time range', filters: [{ time: { gte: T0 + 4 * HOUR, lte: T0 + 8 * HOUR } }], expect: [8, 7, 6, 5, 4] },
  { name: 'time, one instant', filters: [{ time: { gte: T0 + 11 * HOUR, lte: T0 + 11 * HOUR } }], expect: [12, 11] },
  { name: 'duration from', filters: [{ duration_ms: { gte: 60 } }], expect: [12, 11, 6, 5] },
  { name: 'duration until', filters: [{ duration_ms: { lte: 3 } }], expect: [10, 4, 2] },
  { name: 'duration range', filters: [{ duration_ms: { gte: 10, lte: 50 } }], expect: [7, 3, 1] },
  { name: 'text, case-insensitive substring', filters: [{ text: 'project 42' }], expect: [7, 1] },
  { name: 'text upper case', filters: [{ text: 'APOLLO' }], expect: [12, 1] },
  { name: 'text beyond ASCII folds case', filters: [{ text: 'äöü' }], expect: [3] },
  { name: 'text never matches the mask', filters: [{ text: '******' }], expect: [] },
  { name: 'text never matches part of the mask', filters: [{ text: '***' }], expect: [] },
  { name: 'text, a star is a character', filters: [{ text: '*' }], expect: [5] },
  { name: 'text, percent is a character', filters: [{ text: '%' }], expect: [5] },
  { name: 'text, underscore is a character', filters: [{ text: '_' }], expect: [9, 5, 3] },
  { name: 'text, brackets are characters', filters: [{ text: '[x]' }], expect: [5] },
  { name: 'text holding SQL', filters: [{ text: "'); drop table" }], expect: [5] },
  { name: 'text in a body', filters: [{ text: 'mallory' }], expect: [4] },
  { name: 'text deep in meta', filters: [{ text: 'needle-xyz' }], expect: [10] },
  { name: 'text in an array', filters: [{ text: 'alpha' }], expect: [10] },
  { name: 'text shorter than a trigram', filters: [{ text: 'ab' }], expect: [8, 5] },
  { name: 'text with markup', filters: [{ text: '<script>' }], expect: [6] },
  { name: 'text with a control character', filters: [{ text: 'a\u0001b' }], expect: [11] },
  { name: 'text not in headers', filters: [{ text: 'curl/8.0' }], expect: [] },
  { name: 'text does not span two values', filters: [{ text: 'project 43' }], expect: [] },
  { name: 'two filters AND (a query and a scope)', filters: [m('source', ['alice']), m('operation_result', ['failure'])], expect: [11] },
  { name: 'text and a field', filters: [{ text: 'project' }, m('node', ['node-b'])], expect: [8] },
  { name: 'several fields in one filter', filters: [{ match: { source: { values: ['alice'], negate: false }, http_method: { values: ['put'], negate: false } }, time: { lte: T0 + 11 * HOUR - 1 } }], expect: [1] },
];

/** Strings an attacker sends through filters: none may break a query or match anything. */
export const HOSTILE = ["' OR '1'='1", '" OR ""="', "'; DROP TABLE records; --", '%', '_', '\\', '*', '[', ')', '$1', '?', '@p1', '\u0000', "x' UNION SELECT line FROM records --"];
