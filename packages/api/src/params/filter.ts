import { MATCH_FIELDS, type AuditFilter, type MatchField, type ValueMatch } from '@auditkit/store';
import { badParameter } from '../http/errors.js';
import { parseSourceIp } from './ip.js';
import { durationParam } from './numbers.js';
import { parseStatus } from './status.js';
import { parseTime } from './time.js';
import { parseList } from './values.js';

/**
 * Query parameters → one typed AuditFilter, once. Every EMQX `GET /api/v5/audit` filter keeps its name
 * and meaning; `request_id`, `event`, `target_type`, `target_id` and `q` go beyond it. The same
 * parameters, and this same function, serve every endpoint and the viewer's scope.
 */

/** Exact-match parameters: each is named after the MatchField (column) it filters. */
const MATCH_PARAMETERS: readonly MatchField[] = MATCH_FIELDS;

export const FILTER_PARAMETERS: readonly string[] = [
  ...MATCH_PARAMETERS,
  'source_ip',
  'http_status_code',
  'gte_created_at',
  'lte_created_at',
  'gte_duration_ms',
  'lte_duration_ms',
  'q',
];

export const MAX_TEXT_LENGTH = 256;

export function parseFilter(params: ReadonlyMap<string, string>): AuditFilter {
  const filter: AuditFilter = {};
  for (const field of MATCH_PARAMETERS) {
    const text = params.get(field);
    if (text === undefined) continue;
    (filter.match ??= {})[field] = matchOf(field, text);
  }
  const ip = params.get('source_ip');
  if (ip !== undefined) filter.source_ip = parseSourceIp('source_ip', ip);
  const status = params.get('http_status_code');
  if (status !== undefined) filter.http_status_code = parseStatus('http_status_code', status);

  const gte = params.get('gte_created_at');
  const lte = params.get('lte_created_at');
  if (gte !== undefined || lte !== undefined) {
    filter.time = {};
    if (gte !== undefined) filter.time.gte = parseTime('gte_created_at', gte);
    if (lte !== undefined) filter.time.lte = parseTime('lte_created_at', lte);
    if (filter.time.gte !== undefined && filter.time.lte !== undefined && filter.time.gte > filter.time.lte) {
      throw badParameter('lte_created_at', 'is before gte_created_at', 'a time at or after gte_created_at');
    }
  }
  const dGte = params.get('gte_duration_ms');
  const dLte = params.get('lte_duration_ms');
  if (dGte !== undefined || dLte !== undefined) {
    filter.duration_ms = {};
    if (dGte !== undefined) filter.duration_ms.gte = durationParam('gte_duration_ms', dGte);
    if (dLte !== undefined) filter.duration_ms.lte = durationParam('lte_duration_ms', dLte);
  }
  const q = params.get('q');
  if (q !== undefined) {
    if (q.length > MAX_TEXT_LENGTH) throw badParameter('q', `${q.length} characters`, `free text of at most ${MAX_TEXT_LENGTH} characters`);
    filter.text = q;
  }
  return filter;
}

function matchOf(field: MatchField, text: string): ValueMatch {
  const list = parseList(field, text, field === 'request_id' ? 128 : undefined);
  if (field === 'operation_result') {
    list.values = list.values.map((v) => v.toLowerCase());
    for (const v of list.values) {
      if (v !== 'success' && v !== 'failure') throw badParameter(field, `${JSON.stringify(v.slice(0, 32))} is not a result`, 'success or failure (! to exclude)');
    }
  }
  if (field === 'http_method') {
    // Records hold the method in lower case, as EMQX writes it; POST and post mean the same.
    list.values = list.values.map((v) => v.toLowerCase());
    for (const v of list.values) {
      if (!/^[a-z-]{1,32}$/.test(v)) throw badParameter(field, `${JSON.stringify(v.slice(0, 32))} is not an HTTP method`, 'methods such as post, put, delete (comma-listed, ! to exclude)');
    }
  }
  return list;
}
