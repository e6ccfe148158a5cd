/**
 * The audit record. Field names follow EMQX's audit data model (`operation_id`, `operation_result`,
 * `source`, `source_ip`, `http_status_code`, `bindings`, ...) so existing tooling reads it; what EMQX
 * lacks comes from Mattermost (several events per call) and Kubernetes (request ids, truncation).
 * docs/record-schema.md explains every field; schema/audit-record.schema.json is the machine form.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export type AuthType = 'jwt_token' | 'api_key' | 'basic' | 'session' | 'none';

/**
 * Why a credential did not yield a verified operator. `null` when nothing went wrong (which, without
 * verification keys configured, still means `source_verified: false`).
 */
export type AuthError =
  | 'malformed'
  | 'alg_none'
  | 'alg_not_allowed'
  | 'expired'
  | 'not_yet_valid'
  | 'bad_signature'
  | 'claim_invalid'
  | 'no_matching_key'
  | 'key_unavailable'
  | 'unknown_key';

export type OperationResult = 'success' | 'failure';

/**
 * How much of a request its record holds (Kubernetes' audit levels, `audit_level` in the record):
 * `metadata` who, what, when and the result, without headers or body; `request` also the request's
 * headers and body (the default); `request-response` also the response body.
 */
export type DetailLevel = 'metadata' | 'request' | 'request-response';
/** What a route rule can ask for: a level of detail, or `none` (no record, as `audit: false`). */
export type RouteLevel = DetailLevel | 'none';
export type AuditLevel = 'info' | 'warn' | 'error';

/** How much of the request body the record holds. */
export type BodyRecorded = 'full' | 'truncated' | 'summary' | 'none';

export interface RecordedHttpRequest {
  /** The method as sent, e.g. `POST`. */
  method: string;
  /** Request headers; sensitive ones are masked. */
  headers: { [name: string]: string | string[] };
  /** The parsed body, redacted and size-capped; `null` when absent or not structured (see body_recorded). */
  body: JsonValue | null;
  /** `content-type` of the body, without parameters. */
  body_type: string | null;
  /** Size of the body in bytes when known (content-length, or the byte length of a raw body). */
  body_bytes: number | null;
  body_recorded: BodyRecorded;
  /**
   * Only when no route matched (operation_id `<unmatched>`): the path that was attempted, without its
   * query, capped at 256 characters; only plain words stay, every other segment is masked.
   */
  path?: string;
}

/** The response body, in records made at level `request-response`: redacted and capped as the request body is. */
export interface RecordedHttpResponse {
  /** The body as parsed (JSON), redacted and size-capped; `null` when absent or not structured (see body_recorded). */
  body: JsonValue | null;
  /** `content-type` of the response, without parameters. */
  body_type: string | null;
  /** Size of the body in bytes when known. */
  body_bytes: number | null;
  body_recorded: BodyRecorded;
}

/** What the request acted on, when the handler names it (`req.audit.target(...)`). */
export interface AuditTarget {
  type?: string;
  id?: string;
  name?: string;
}

/** Fields every record carries. */
export interface RecordBase {
  /** UUIDv7: unique, and sorts by creation time. */
  id: string;
  /** Microseconds since the Unix epoch. */
  time: number;
  /** `time` as RFC 3339 in the configured offset. */
  ts: string;
  level: AuditLevel;
  /** `request` for the record of an HTTP call, the handler's name for extra events, `audit.*` for auditkit's own. */
  event: string;
  node: string;
}

/** The record of one audited HTTP call, or of an extra event a handler emitted during it. */
export interface RequestRecord extends RecordBase {
  request_id: string;
  from: string;
  source: string | null;
  source_verified: boolean;
  source_ip: string;
  auth_type: AuthType;
  auth_error: AuthError | null;
  user_agent: string | null;
  operation_id: string;
  operation_type: string;
  operation_result: OperationResult;
  http_method: string;
  http_status_code: number;
  duration_ms: number;
  aborted: boolean;
  query_string: JsonObject;
  bindings: JsonObject;
  http_request: RecordedHttpRequest;
  /** Only in records made at level `request-response`. */
  http_response?: RecordedHttpResponse;
  /** The level of detail the record was made at: `metadata` has no headers or body, `request-response` adds the response body. */
  audit_level: DetailLevel;
  target: AuditTarget | null;
  meta: JsonObject;
  truncated: boolean;
  /** Present when the handler recorded what changed (`req.audit.change(before, after)`). */
  change?: RecordedChange;
}

/** Written by a sink when room returns after it had to drop records (Mattermost's semantics, plus the count). */
export interface DroppedRecord extends RecordBase {
  event: 'audit.records_dropped';
  /** Name of the sink that dropped them. */
  sink: string;
  /** How many records were dropped since the last such record. */
  dropped: number;
  first_dropped_at: string;
  last_dropped_at: string;
  reason: 'queue_full' | 'spool_full' | 'oversize' | 'closed';
}

/** `operation_result` of an event record: `attempt` is the write-ahead stage (Mattermost's status). */
export type EventResult = OperationResult | 'attempt';

/**
 * The record of something that happened without an HTTP request: an application event, a command
 * line run, a console statement, the trail's own lifecycle. It shares the request record's names
 * for what both have (`from`, `source`, `operation_*`, `target`, `meta`); what only one kind of
 * event has sits in an object of its own (`cli`, `console`, `lifecycle`). See docs/events.md.
 */
export interface EventRecord extends RecordBase {
  from: string;
  source: string | null;
  source_verified: boolean;
  operation_id: string;
  operation_type: string;
  operation_result: EventResult;
  /** Shared by the records of one unit of work (an attempt and its outcome, a command run, a console session). */
  request_id: string | null;
  duration_ms: number | null;
  /** The failure's code (an error's `code`, else its class name); never its message, which can hold secrets. */
  error_code: string | null;
  target: AuditTarget | null;
  meta: JsonObject;
  truncated: boolean;
  change?: RecordedChange;
  /** How the operator of a command line or console was established (see docs/cli.md). */
  operator?: HostOperatorRecord;
  cli?: JsonObject;
  console?: JsonObject;
  lifecycle?: JsonObject;
  /** Console statements: the record may hold data the operator saw or typed. */
  sensitive?: boolean;
}

/** What changed: both states redacted, and an RFC 6902 JSON Patch from one to the other. */
export interface RecordedChange {
  before: JsonValue;
  after: JsonValue;
  patch: JsonValue[];
}

export interface HostOperatorRecord {
  /** Where `source` came from. */
  via: 'login_uid' | 'sudo_user' | 'effective_user' | 'application';
  /** The process's effective uid. */
  uid: number | null;
  /** The login uid of the session (survives sudo and su); null where the system has none. */
  login_uid: number | null;
  /** A name the operator gave (a flag, an environment variable): recorded, never trusted. */
  asserted: string | null;
}

export type AuditRecord = RequestRecord | DroppedRecord | EventRecord;

/** The marker for a request no route matched: never the raw URL, which may carry ids or secrets. */
export const UNMATCHED_ROUTE = '<unmatched>';

export const REQUEST_EVENT = 'request';
export const DROPPED_EVENT = 'audit.records_dropped';

/**
 * Every top-level name a record can carry, chain fields included: a sink's static fields may not
 * use one (a test checks this list against schema/audit-record.schema.json).
 */
export const RECORD_FIELD_NAMES: ReadonlySet<string> = new Set([
  // every record, and the chain of a tamper-evident file
  'id', 'time', 'ts', 'level', 'event', 'node', 'chain', 'seq', 'prev_hash', 'hash',
  // request records
  'request_id', 'from', 'source', 'source_verified', 'source_ip', 'auth_type', 'auth_error', 'user_agent',
  'operation_id', 'operation_type', 'operation_result', 'http_method', 'http_status_code', 'duration_ms',
  'aborted', 'query_string', 'bindings', 'http_request', 'http_response', 'audit_level', 'target', 'meta',
  'truncated', 'change',
  // drop notices
  'sink', 'dropped', 'first_dropped_at', 'last_dropped_at', 'reason',
  // event records
  'error_code', 'operator', 'cli', 'console', 'lifecycle', 'sensitive',
  // checkpoints and chain starts
  'checkpoint', 'checkpoint_every', 'checkpoint_interval_ms', 'break', 'kid', 'link', 'file', 'final', 'records', 'signature',
]);
