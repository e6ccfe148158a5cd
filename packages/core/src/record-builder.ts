import type { AuthResult } from './auth.js';
import { recordBody } from './body.js';
import type { AuditContext, PendingEvent } from './context.js';
import type { CompletionFacts } from './facts.js';
import { recordHeaders } from './headers.js';
import { uuidv7 } from './ids.js';
import type { ResolvedOptions } from './options.js';
import { markUnsorted } from './serialize.js';
import { redactValue, STRING_CUT, wellFormed } from './redact.js';
import {
  REQUEST_EVENT,
  type AuditTarget,
  type JsonObject,
  type OperationResult,
  type RecordedHttpRequest,
  type RequestRecord,
} from './record.js';

/**
 * Assembles the records of one request: the request record and any extra events the handler
 * emitted. Everything taken from the request passes through redaction here; nothing raw leaves.
 */

export interface RecordInput {
  ctx: AuditContext;
  facts: CompletionFacts;
  operationId: string;
  operationType: string;
  from: string;
  sourceIp: string;
  requestId: string;
  auth: AuthResult;
  timeMicros: number;
  durationMs: number;
  /** False when only the handler's extra events are recorded. */
  includeRequest: boolean;
}

/** Status recorded for a client that left before any response was sent (nginx's convention). */
export const CLIENT_CLOSED_STATUS = 499;

export function statusOf(facts: CompletionFacts): number {
  return facts.aborted && !facts.headersSent ? CLIENT_CLOSED_STATUS : facts.statusCode;
}

/**
 * EMQX counts every status >= 300 except 302 as a failure; we count < 400 as success, because a
 * 303 after a POST (post/redirect/get) is how a successful form submission ends.
 */
export function resultOf(facts: CompletionFacts, status: number): OperationResult {
  return facts.aborted || status >= 400 ? 'failure' : 'success';
}

export function buildRecords(opts: ResolvedOptions, input: RecordInput): RequestRecord[] {
  const { ctx, facts } = input;
  const headers = ctx.start.headers;
  const rules = opts.redaction;

  const query = redactValue(rules, 'query', facts.query ?? {}, opts.limits.bodyBytes);
  // An unmatched request has no route, so no bindings: a catch-all parameter would hold the raw path.
  const bindings = redactValue(rules, 'bindings', facts.route === undefined ? {} : (facts.params ?? {}), opts.limits.bodyBytes);
  const body = recordBody(facts.body, headers, rules, opts.limits.bodyBytes);
  const recorded = recordHeaders(headers, opts.maskedHeaders, rules);
  // Keys in canonical order throughout (see canonical.ts).
  const httpRequest: RecordedHttpRequest = {
    body: body.body,
    body_bytes: body.body_bytes,
    body_recorded: body.body_recorded,
    body_type: body.body_type,
    headers: recorded.headers,
    method: ctx.start.method,
  };
  const sharedTruncated = query.truncated || bindings.truncated || body.truncated;
  const sharedSorted = query.sorted && bindings.sorted && body.sorted && recorded.sorted;

  const status = statusOf(facts);
  const result = resultOf(facts, status);
  const source = ctx.operatorName !== undefined ? ctx.operatorName.slice(0, 256) : input.auth.source;
  const verified = ctx.operatorName !== undefined ? ctx.operatorVerified : input.auth.verified;
  const ts = opts.formatter.format(input.timeMicros);
  const timeMs = Math.floor(input.timeMicros / 1000);
  const target = ctx.targetData === undefined ? null : recordTarget(ctx.targetData, opts);

  const make = (event: string, meta: unknown, opResult: OperationResult, recTarget: AuditTarget | null): RequestRecord => {
    const m = meta === undefined ? { value: {}, truncated: false, sorted: true } : redactValue(rules, 'meta', meta, opts.limits.metaBytes);
    const metaValue = m.value !== null && typeof m.value === 'object' && !Array.isArray(m.value) ? (m.value as JsonObject) : {};
    // Fields in canonical (sorted) order: JSON.stringify then writes RFC 8785 canonical JSON.
    const record: RequestRecord = {
      aborted: facts.aborted,
      auth_error: input.auth.error,
      auth_type: input.auth.type,
      bindings: bindings.value as JsonObject,
      duration_ms: input.durationMs,
      event,
      from: input.from,
      http_method: ctx.start.method.toLowerCase(),
      http_request: httpRequest,
      http_status_code: status,
      id: uuidv7(timeMs),
      level: opResult === 'success' ? 'info' : 'warn',
      meta: metaValue,
      node: opts.node,
      operation_id: input.operationId,
      operation_result: opResult,
      operation_type: input.operationType,
      query_string: query.value as JsonObject,
      request_id: input.requestId,
      source: source === null ? null : wellFormed(source),
      source_ip: input.sourceIp,
      source_verified: verified,
      target: recTarget,
      time: input.timeMicros,
      truncated: sharedTruncated || m.truncated,
      ts,
      user_agent: userAgentOf(headers['user-agent'], opts.limits.userAgent),
    };
    if (!(sharedSorted && m.sorted)) markUnsorted(record);
    return record;
  };

  const records: RequestRecord[] = [];
  // Extra events come first: they happened during the call, the request record describes its end.
  for (const ev of ctx.events ?? ([] as PendingEvent[])) {
    records.push(make(ev.name, ev.meta, ev.result ?? result, ev.target ? recordTarget(ev.target, opts) : target));
  }
  if (input.includeRequest) records.push(make(REQUEST_EVENT, ctx.metaData, result, target));
  return records;
}

function userAgentOf(ua: string | undefined, cap: number): string | null {
  if (typeof ua !== 'string' || ua.length === 0) return null;
  return ua.length > cap ? ua.slice(0, cap) + STRING_CUT : ua;
}

function recordTarget(target: AuditTarget, opts: ResolvedOptions): AuditTarget | null {
  const { value } = redactValue(opts.redaction, 'target', { type: target.type, id: target.id, name: target.name }, 1024);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const out: AuditTarget = {};
  for (const k of ['id', 'name', 'type'] as const) {
    const v = (value as JsonObject)[k];
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number') out[k] = String(v);
  }
  return out;
}
