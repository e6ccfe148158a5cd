import { attemptedPath } from './attempted-path.js';
import type { AuthResult } from '../auth/auth.js';
import { recordBody, type RecordedBody } from './body.js';
import { recordResponseBody } from './response-body.js';
import { recordChange, type ChangeInput } from '../change/change.js';
import type { AuditContext, PendingEvent } from '../capture/context.js';
import { AuditEntry, type RecordHead, type RequestRecordHead } from './entry.js';
import type { CompletionFacts } from '../capture/facts.js';
import { recordHeaders } from './headers.js';
import { uuidv7 } from '../shared/ids.js';
import { microsText } from '../shared/clock.js';
import type { RecordSettings } from './options.js';
import { jsonString, redactJson, safeSource, scrubbed, STRING_CUT, type RedactedJson, type RedactionRules } from '../redact/redact.js';
import { REQUEST_EVENT, type AuditTarget, type BodyRecorded, type DetailLevel, type OperationResult } from '../model/record.js';

/**
 * Writes the records of one request: the request record and any extra events the handler emitted.
 * Everything taken from the request passes through redaction here; nothing raw leaves.
 *
 * Each record is written directly as its canonical JSON line (keys in sorted order, RFC 8785), the
 * parts shared by a request's records (headers, body, query, bindings) once. A record's fields are
 * documented in record.ts and docs/record-schema.md; the order below is their sorted order.
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
  /** How much the records hold (policy.ts); every record of one request is made at the same level. */
  level: DetailLevel;
}

/** A record over `limits.recordBytes` even without its body and meta: it is dropped and counted. */
export class OversizeRecord {
  /** `head`: the record's top-level facts, so that a sink whose `select` would not take it does not count it dropped. */
  constructor(
    readonly bytes: number,
    readonly head?: RecordHead,
  ) {}
}

const REQUEST_EVENT_JSON = jsonString(REQUEST_EVENT);

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

/** The `http_response` object (level `request-response`): body first, then its description (sorted keys). */
function httpResponseJson(body: string, bytes: number | null, recorded: BodyRecorded, type: string | null): string {
  return `{"body":${body},"body_bytes":${bytes === null ? 'null' : bytes},"body_recorded":"${recorded}","body_type":${type === null ? 'null' : jsonString(type)}}`;
}

/** Level `metadata` records that a body came (its type and size), never the body or the headers. */
const NOT_RECORDED = (body: RecordedBody): RecordedBody => ({ json: 'null', body_type: body.body_type, body_bytes: body.body_bytes, body_recorded: 'none', truncated: false });

/** The `http_request` object: body first, then its description, headers and method (sorted keys). */
function httpRequestJson(body: string, bytes: number | null, recorded: BodyRecorded, type: string | null, headers: string, method: string, path: string): string {
  return `{"body":${body},"body_bytes":${bytes === null ? 'null' : bytes},"body_recorded":"${recorded}","body_type":${type === null ? 'null' : jsonString(type)},"headers":${headers},"method":${method}${path}}`;
}

/** The fields every record of one request shares, already as JSON text where they come from the request. */
interface Shared {
  head: string;
  /** `change` (when a record has one) sorts between `bindings` and `duration_ms`. */
  durationMs: string;
  middle: string;
  tail: string;
}

/**
 * The parts of a record's text that follow from its route and method alone (the node, the operation
 * id and type, `from`, the method), as JSON, made once per route rather than quoted and joined on
 * every request. Checked against the request's own values, since a handler or hook can override the
 * operation type and `from` per request.
 */
interface RouteText {
  readonly node: string;
  readonly operationId: string;
  readonly operationType: string;
  readonly from: string;
  readonly method: string;
  readonly level: DetailLevel;
  /** `"audit_level":"…"` up to the auth fields. */
  readonly levelJson: string;
  readonly methodJson: string;
  readonly httpMethod: string;
  /** `,"from":…,"http_method":…,"http_request":` after the event name. */
  readonly afterEvent: string;
  /** `,"node":…,"operation_id":…,` */
  readonly middle: string;
  /** `","operation_type":…` after the operation result. */
  readonly afterResult: string;
}

const ROUTE_TEXT_MAX = 1024;
const routeTexts = new WeakMap<RecordSettings, Map<string, RouteText>>();

function routeText(opts: RecordSettings, input: RecordInput, method: string): RouteText {
  let texts = routeTexts.get(opts);
  if (texts === undefined) routeTexts.set(opts, (texts = new Map()));
  const key = input.operationId;
  const known = texts.get(key);
  if (
    known !== undefined &&
    known.method === method &&
    known.operationType === input.operationType &&
    known.from === input.from &&
    known.level === input.level &&
    known.node === opts.node
  ) {
    return known;
  }
  const httpMethod = method.toLowerCase();
  const text: RouteText = {
    node: opts.node,
    operationId: key,
    operationType: input.operationType,
    from: input.from,
    method,
    level: input.level,
    levelJson: `"audit_level":"${input.level}",`,
    methodJson: jsonString(method),
    httpMethod,
    afterEvent: `,"from":${jsonString(input.from)},"http_method":${jsonString(httpMethod)},"http_request":`,
    middle: `,"node":${jsonString(opts.node)},"operation_id":${jsonString(key)},`,
    afterResult: `","operation_type":${jsonString(input.operationType)}`,
  };
  if (texts.size >= ROUTE_TEXT_MAX) texts.clear();
  texts.set(key, text);
  return text;
}

export function buildEntries(opts: RecordSettings, input: RecordInput): Array<AuditEntry | OversizeRecord> {
  const { ctx, facts, auth } = input;
  const headers = ctx.start.headers;
  const rules = rulesFor(opts, input.operationId, ctx.start.method);
  const budget = opts.limits.bodyBytes;

  const query = redactJson(rules, 'query', facts.query ?? {}, budget);
  // An unmatched request has no route, so no bindings: a catch-all parameter would hold the raw path.
  const bindings: RedactedJson = facts.route === undefined ? { json: '{}', truncated: false } : redactJson(rules, 'bindings', facts.params ?? {}, budget);
  const level = input.level;
  // Metadata: who, what, when and the result. The body is described by the headers alone, never read.
  const body = level === 'metadata' ? NOT_RECORDED(recordBody(undefined, headers, rules, budget)) : recordBody(facts.body, headers, rules, budget);
  const headersJson = level === 'metadata' ? '{}' : recordHeaders(headers, opts.maskedHeaders, rules, rules.maskJson);
  const route = routeText(opts, input, ctx.start.method);
  const methodJson = route.methodJson;
  // What was attempted, when no route says it (operation_id is then <unmatched>).
  const pathJson = facts.route === undefined && typeof facts.path === 'string' ? `,"path":${jsonString(attemptedPath(facts.path, rules))}` : '';
  const httpRequest = httpRequestJson(body.json, body.body_bytes, body.body_recorded, body.body_type, headersJson, methodJson, pathJson);
  const response = level === 'request-response' ? recordResponseBody(facts.response, rules, budget) : undefined;
  const httpResponse = response === undefined ? '' : `"http_response":${httpResponseJson(response.json, response.body_bytes, response.body_recorded, response.body_type)},`;
  const sharedTruncated = query.truncated || bindings.truncated || body.truncated || (response?.truncated ?? false);

  const status = statusOf(facts);
  const result = resultOf(facts, status);
  const named = ctx.operatorName !== undefined ? ctx.operatorName.slice(0, 256) : auth.source;
  // A Basic user name or an operator that is really a key (Stripe's and GitHub's style) is fingerprinted.
  const source = named === null ? null : safeSource(rules, named);
  const verified = ctx.operatorName !== undefined ? ctx.operatorVerified : auth.verified;
  const ts = opts.formatter.format(input.timeMicros);
  const timeMs = Math.floor(input.timeMicros / 1000);
  const target = ctx.targetData === undefined ? 'null' : targetJson(ctx.targetData, opts);
  const httpMethod = route.httpMethod;
  const sourceJson = source === null ? 'null' : jsonString(source);
  const userAgent = userAgentOf(headers['user-agent'], opts.limits.userAgent, rules);

  // A record is `head` + its own event/id/level/meta + `middle` + its own result/target + `tail`.
  const shared: Shared = {
    head:
      `{"aborted":${facts.aborted},${route.levelJson}"auth_error":${auth.error === null ? 'null' : `"${auth.error}"`},"auth_type":"${auth.type}",` +
      `"bindings":${objectJson(bindings)},`,
    durationMs: `"duration_ms":${numberJson(input.durationMs)},`,
    middle: route.middle,
    tail:
      `,"query_string":${objectJson(query)},"request_id":${jsonString(input.requestId)},"source":${sourceJson},"source_ip":${jsonString(input.sourceIp)},` +
      `"source_verified":${verified},`,
  };
  const end = `,"time":${microsText(input.timeMicros)},`;
  const last = `,"ts":"${ts}","user_agent":${userAgent === null ? 'null' : jsonString(userAgent)}}`;

  const write = (
    event: string,
    meta: Record<string, unknown> | undefined,
    opResult: OperationResult,
    recTarget: string,
    changeInput: ChangeInput | undefined,
  ): AuditEntry | OversizeRecord => {
    const m = meta === undefined ? { json: '{}', truncated: false } : redactJson(rules, 'meta', meta, opts.limits.metaBytes);
    const metaJson = objectJson(m);
    const change = changeInput === undefined ? undefined : recordChange(opts, changeInput);
    const id = uuidv7(timeMs);
    const severity = opResult === 'success' ? 'info' : 'warn';
    const eventJson = event === REQUEST_EVENT ? REQUEST_EVENT_JSON : jsonString(event);
    const line = (request: string, responseText: string, metaText: string, truncated: boolean, changeText: string | undefined): string =>
      shared.head +
      (changeText === undefined ? '' : `"change":${changeText},`) +
      shared.durationMs +
      `"event":${eventJson}${route.afterEvent}${request},${responseText}"http_status_code":${numberJson(status)},` +
      `"id":"${id}","level":"${severity}","meta":${metaText}` +
      shared.middle +
      `"operation_result":"${opResult}${route.afterResult}` +
      shared.tail +
      `"target":${recTarget}${end}"truncated":${truncated}${last}`;
    const head: RequestRecordHead = {
      id,
      time: input.timeMicros,
      ts,
      level: severity,
      event,
      node: opts.node,
      from: input.from,
      audit_level: level,
      request_id: input.requestId,
      source,
      source_ip: input.sourceIp,
      operation_id: input.operationId,
      http_method: httpMethod,
      http_status_code: status,
      operation_result: opResult,
    };
    let text = line(httpRequest, httpResponse, metaJson, sharedTruncated || m.truncated || (change?.truncated ?? false), change?.json);
    const limit = opts.limits.recordBytes;
    if (text.length * 3 > limit && Buffer.byteLength(text) > limit) {
      // Over the limit: the body and meta go first (Kubernetes drops request and response objects).
      const shrunk = httpRequestJson('null', body.body_bytes, body.body_recorded === 'none' ? 'none' : 'truncated', body.body_type, headersJson, methodJson, pathJson);
      const shrunkResponse =
        response === undefined ? '' : `"http_response":${httpResponseJson('null', response.body_bytes, response.body_recorded === 'none' ? 'none' : 'truncated', response.body_type)},`;
      text = line(shrunk, shrunkResponse, '{}', true, change?.shrunk);
      const bytes = Buffer.byteLength(text);
      if (bytes > limit) return new OversizeRecord(bytes, head);
    }
    return new AuditEntry(text, head);
  };

  const entries: Array<AuditEntry | OversizeRecord> = [];
  // Extra events come first: they happened during the call, the request record describes its end.
  for (const ev of ctx.events ?? ([] as PendingEvent[])) {
    entries.push(write(ev.name, ev.meta, ev.result ?? result, ev.target ? targetJson(ev.target, opts) : target, ev.change));
  }
  if (input.includeRequest) entries.push(write(REQUEST_EVENT, ctx.metaData, result, target, ctx.changeData));
  return entries;
}

/** Fields that must hold an object hold `{}` when what was given is not one. */
function objectJson(r: RedactedJson): string {
  return r.json !== undefined && r.json.startsWith('{') ? r.json : '{}';
}

/** A number as JSON writes it: what is not finite becomes null. */
function numberJson(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

function userAgentOf(raw: string | undefined, cap: number, rules: RedactionRules): string | null {
  if (typeof raw !== 'string' || raw.length === 0) return null;
  const ua = scrubbed(rules, raw);
  return ua.length > cap ? ua.slice(0, cap) + STRING_CUT : ua;
}

/** The rules for this route: the first `redact.routes` rule that matches, else the rules for every route. */
function rulesFor(opts: RecordSettings, operationId: string, method: string): RedactionRules {
  for (const r of opts.routeRedaction) if (r.matches(operationId, method)) return r.rules;
  return opts.redaction;
}

/** The target as JSON: its id, name and type as strings, redacted like everything else. */
export function targetJson(target: AuditTarget, opts: RecordSettings): string {
  const fields: Record<string, string> = {};
  for (const k of ['id', 'name', 'type'] as const) {
    const v: unknown = target[k];
    if (typeof v === 'string') fields[k] = v;
    else if (typeof v === 'number') fields[k] = String(v);
  }
  const { json } = redactJson(opts.redaction, 'target', fields, 1024);
  return json ?? 'null';
}
