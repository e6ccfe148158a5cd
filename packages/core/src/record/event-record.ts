import { recordChange, type ChangeInput } from '../change/change.js';
import { nowMicros } from '../shared/clock.js';
import { AuditEntry } from './entry.js';
import { uuidv7 } from '../shared/ids.js';
import type { RecordSettings } from './options.js';
import { jsonString, redactJson, safeSource } from '../redact/redact.js';
import { OversizeRecord, targetJson } from './record-builder.js';
import type { AuditLevel, AuditTarget, EventResult, RecordBase } from '../model/record.js';

/**
 * Writes an event record (an application event, a command run, a console statement, a lifecycle
 * record) as its canonical JSON line. Everything the application handed in passes through redaction
 * here, as in record-builder.ts for requests: meta and the target by the usual rules, the states of a
 * change by the `state` rules. Extension objects (`cli`, `console`, `lifecycle`, `operator`) arrive
 * already as canonical JSON from the code that owns their shape and has redacted them.
 */

export interface EventRecordInput {
  event: string;
  from: string;
  operationId: string;
  operationType: string;
  result: EventResult;
  source: string | null;
  sourceVerified: boolean;
  /** The peer's address, when the event has one (a read through the query API). */
  sourceIp?: string | null | undefined;
  requestId: string | null;
  durationMs: number | null;
  errorCode: string | null;
  target?: AuditTarget | undefined;
  meta?: Record<string, unknown> | undefined;
  change?: ChangeInput | undefined;
  /** Top-level members owned by the caller: name → canonical JSON text. */
  extras?: Record<string, string> | undefined;
  /** The record may hold what an operator typed (console statements): `sensitive: true`. */
  sensitive?: boolean | undefined;
  /** Something in `extras` was cut. */
  extrasTruncated?: boolean | undefined;
  level?: AuditLevel | undefined;
  timeMicros?: number | undefined;
}

/** The top-level facts of an event record a transport may route or label by (syslog's structured data). */
export interface EventRecordHead extends RecordBase {
  from: string;
  source: string | null;
  operation_id: string;
  operation_result: EventResult;
  request_id: string | null;
}

export const EVENT_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;

/** An error's code as a record may hold it: its `code` when that is a short identifier, else its class name. */
export function errorCodeOf(err: unknown): string {
  if (err !== null && typeof err === 'object') {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(code)) return code;
    if (typeof code === 'number' && Number.isInteger(code)) return String(code);
    const name = (err as { name?: unknown }).name;
    if (typeof name === 'string' && /^[A-Za-z0-9_$]{1,64}$/.test(name)) return name;
    return 'Error';
  }
  return typeof err === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(err) ? err : 'thrown_value';
}

/** EMQX's rule for operation_type, applied to an event name: its first segment (`user.role_changed` → `user`). */
export function operationTypeOf(name: string): string {
  const first = name.split(/[.:\s]/, 1)[0]!;
  return first.length > 0 ? first : name;
}

export function buildEventEntry(opts: RecordSettings, input: EventRecordInput): AuditEntry | OversizeRecord {
  const rules = opts.redaction;
  // An operator name that is really a credential is fingerprinted, in the line and in the head (syslog's structured data).
  const source = input.source === null ? null : safeSource(rules, input.source.slice(0, 256));
  const time = input.timeMicros ?? nowMicros();
  const id = uuidv7(Math.floor(time / 1000));
  const ts = opts.formatter.format(time);
  const level: AuditLevel = input.level ?? (input.result === 'failure' ? 'warn' : 'info');
  const meta = input.meta === undefined ? { json: '{}', truncated: false } : redactJson(rules, 'meta', input.meta, opts.limits.metaBytes);
  const metaJson = meta.json !== undefined && meta.json.startsWith('{') ? meta.json : '{}';
  const change = input.change === undefined ? undefined : recordChange(opts, input.change);
  const members: Record<string, string> = {
    ...input.extras,
    duration_ms: input.durationMs === null || !Number.isFinite(input.durationMs) ? 'null' : String(Math.round(input.durationMs * 1000) / 1000),
    error_code: input.errorCode === null ? 'null' : jsonString(input.errorCode),
    event: jsonString(input.event),
    from: jsonString(input.from),
    id: `"${id}"`,
    level: `"${level}"`,
    meta: metaJson,
    node: jsonString(opts.node),
    operation_id: jsonString(input.operationId),
    operation_result: `"${input.result}"`,
    operation_type: jsonString(input.operationType),
    request_id: input.requestId === null ? 'null' : jsonString(input.requestId),
    source: source === null ? 'null' : jsonString(source),
    source_ip: typeof input.sourceIp === 'string' && input.sourceIp.length > 0 ? jsonString(input.sourceIp.slice(0, 64)) : 'null',
    source_verified: input.sourceVerified ? 'true' : 'false',
    target: input.target === undefined ? 'null' : targetJson(input.target, opts),
    time: String(time),
    ts: `"${ts}"`,
  };
  if (change) members.change = change.json;
  if (input.sensitive === true) members.sensitive = 'true';
  const truncated = meta.truncated || (change?.truncated ?? false) || input.extrasTruncated === true;
  let line = lineOf(members, truncated);
  const limit = opts.limits.recordBytes;
  const head: EventRecordHead = {
    id,
    time,
    ts,
    level,
    event: input.event,
    node: opts.node,
    from: input.from,
    source,
    operation_id: input.operationId,
    operation_result: input.result,
    request_id: input.requestId,
  };
  if (line.length * 3 > limit && Buffer.byteLength(line) > limit) {
    // Over the limit: meta and the states go first, as the body and meta of a request record do.
    members.meta = '{}';
    if (change) members.change = change.shrunk;
    line = lineOf(members, true);
    const bytes = Buffer.byteLength(line);
    if (bytes > limit) return new OversizeRecord(bytes, head);
  }
  return new AuditEntry(line, head);
}

/** Members in canonical (sorted) order; every key here is ASCII, so the default sort is RFC 8785's. */
function lineOf(members: Record<string, string>, truncated: boolean): string {
  const all: Record<string, string> = { ...members, truncated: truncated ? 'true' : 'false' };
  let out = '{';
  for (const key of Object.keys(all).sort()) out += (out.length > 1 ? ',' : '') + `"${key}":${all[key]}`;
  return out + '}';
}
