import { canonicalJson } from '@auditkit/core';
import { seedLine } from '../../api/test/records.js';

/**
 * The records every browser scenario starts with, at times just before the test started, so the
 * default range (last 24 h) holds all but `dave`'s (3 h ago, outside "last 1 h"). Counts the tests
 * expect are written out from this list.
 */

export const BULK = 120;
export const MASK = '******';

export const HOSTILE_SOURCE = `<script>__pwned('source')</script>`;
export const HOSTILE_OPERATION = `/x/"><img src=x onerror="__pwned('operation')">`;
export const HOSTILE_TARGET = `javascript:__pwned('target')`;

export function seedLines(nowUs: number): string[] {
  const s = 1_000_000;
  const lines: string[] = [];
  for (let i = 0; i < BULK; i++) {
    lines.push(seedLine({ n: 1000 + i, time: nowUs - 100 * s - i * s, source: 'bot', source_ip: '10.0.0.9', operation_id: '/items/:id', operation_type: 'items', http_method: 'get', request_id: `req-bot-${i}` }));
  }
  lines.push(
    seedLine({ n: 10, time: nowUs - 10 * s, source: 'alice', event: 'user.role_changed', from: 'app', operation_id: 'user.role_changed', operation_type: 'user', request_id: 'req-alice-1', target: { type: 'user', id: '42' }, meta: { reason: 'quarterly-review' } }),
    seedLine({ n: 11, time: nowUs - 10 * s + 500, source: 'alice', http_method: 'put', operation_id: '/users/:id', request_id: 'req-alice-1', target: { type: 'user', id: '42' }, body: { role: 'admin' } }),
    seedLine({ n: 20, time: nowUs - 20 * s, source: 'bob', source_ip: '192.168.1.7', from: 'dashboard', operation_id: '/login', operation_type: 'login', http_status_code: 401, request_id: 'req-bob', body: { user: 'bob', password: MASK } }),
    seedLine({ n: 30, time: nowUs - 30 * s, source: 'carol', from: 'cli', event: 'cli.command', operation_id: 'users delete', operation_type: 'users', request_id: 'req-carol', target: { type: 'user', id: '42' } }),
    seedLine({ n: 50, time: nowUs - 50 * s, source: 'erin', operation_id: '/jobs', operation_type: 'jobs', http_status_code: 503, request_id: 'req-erin' }),
    seedLine({ n: 60, time: nowUs - 3 * 3600 * s, source: 'dave', operation_id: '/reports', operation_type: 'reports', request_id: 'req-dave' }),
    ...hostileLines(nowUs - 40 * s),
  );
  return lines;
}

/** Records whose operator, route, target, headers and body hold markup, script URLs and U+2028. */
function hostileLines(time: number): string[] {
  const base = JSON.parse(seedLine({ n: 40, time, source: HOSTILE_SOURCE, operation_id: HOSTILE_OPERATION, operation_type: 'hostile', request_id: 'req-hostile', target: { type: 'link', id: HOSTILE_TARGET, name: '<b onmouseover=__pwned("name")>x</b>' }, body: { html: '<svg onload=__pwned("body")>', sep: 'line\u2028break\u2029end' } })) as Record<string, unknown>;
  (base.http_request as Record<string, unknown>).headers = { 'user-agent': '"><iframe src="javascript:__pwned(\'header\')">', referer: 'javascript:__pwned("referer")' };
  base.meta = { note: '</pre><script>__pwned("meta")</script>' };
  const second = JSON.parse(seedLine({ n: 41, time: time - 1, source: '"><img src=x onerror=__pwned("source2")>', operation_id: '/\u2028<script>__pwned("op2")</script>', operation_type: 'hostile', request_id: 'req-hostile-2' })) as Record<string, unknown>;
  return [canonicalJson(base), canonicalJson(second)];
}
