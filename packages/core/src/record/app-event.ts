import { performance } from 'node:perf_hooks';
import { isChangeInput, type ChangeInput } from '../change/change.js';
import { EVENT_NAME, errorCodeOf, operationTypeOf, type EventRecordInput } from './event-record.js';
import { uuidv7 } from '../shared/ids.js';
import type { AuditTarget, EventResult } from '../model/record.js';

/**
 * Application events: something worth a record that is not an HTTP request (a job, a queue consumer,
 * a webhook, a domain service). `auditor.event(name, details)` turns the details into an event
 * record, redacted, delivered and chained like every other record. See docs/events.md.
 */

/** Who did it: a name the application has authenticated, or `{ name, verified: false }` for a mere claim. */
export type EventOperator = string | { name: string; verified?: boolean };

export interface AppEventDetails {
  /** Where it came from: `app` (default), `cli`, `console`, `rest_api`, `dashboard`, or a name of yours. */
  from?: string;
  /** Who did it (the record's `source`). A plain name counts as verified: the application vouches for it. */
  operator?: EventOperator;
  /** What it acted on: `{ type: 'user', id: '42' }`. */
  target?: AuditTarget;
  /** `success` (default), `failure`, or `attempt`: the write-ahead record of something about to happen. */
  result?: EventResult;
  /** Why it failed: its `code` (or class name) is recorded, never its message. Implies `result: 'failure'`. */
  error?: unknown;
  /** Data for the record's `meta`, redacted. */
  meta?: Record<string, unknown>;
  /** The state before and after; the record carries both, redacted, and the JSON Patch between them. */
  change?: ChangeInput;
  /** How long it took. */
  durationMs?: number;
  /** Ties records of one unit of work together (the record's `request_id`): a request's id, a job run's id. */
  requestId?: string;
  /** The peer's address, when the event has one (`source_ip`). */
  sourceIp?: string;
  /** Overrides operation_type (default: the name's first segment, `user` for `user.role_changed`). */
  operationType?: string;
}

type Misuse = (problem: string) => void;

const FROM = /^[A-Za-z0-9_.:-]{1,64}$/;
const RESULTS: readonly EventResult[] = ['success', 'failure', 'attempt'];

/** Checks what the application passed; a problem is reported (never thrown) and the part is left out. */
export function appEventInput(name: unknown, details: AppEventDetails | undefined, misuse: Misuse, auditkitOwn = false): EventRecordInput | undefined {
  if (typeof name !== 'string' || !EVENT_NAME.test(name)) {
    misuse('expects a name of letters, digits and _ . : - (at most 128); the event is not recorded');
    return undefined;
  }
  if (name.startsWith('audit.') && !auditkitOwn) {
    misuse(`was given "${name}": names starting with audit. are auditkit's own; the event is not recorded`);
    return undefined;
  }
  const d: AppEventDetails = details !== null && typeof details === 'object' ? details : {};
  if (details !== undefined && d !== details) misuse('expects details as an object; they are ignored');

  let from = 'app';
  if (d.from !== undefined) {
    if (typeof d.from === 'string' && FROM.test(d.from)) from = d.from;
    else misuse('was given a from that is not a short name (letters, digits, _ . : -); "app" is recorded');
  }
  const { source, verified } = operatorOf(d.operator, misuse);
  let result: EventResult = d.error !== undefined ? 'failure' : 'success';
  if (d.result !== undefined) {
    if (RESULTS.includes(d.result)) result = d.result;
    else misuse(`was given result ${JSON.stringify(d.result)}; use success, failure or attempt ("${result}" is recorded)`);
  }
  let change: ChangeInput | undefined;
  if (d.change !== undefined) {
    if (isChangeInput(d.change)) change = d.change;
    else misuse('was given a change that is not { before, after }; the change is not recorded');
  }
  let meta: Record<string, unknown> | undefined;
  if (d.meta !== undefined) {
    if (d.meta !== null && typeof d.meta === 'object' && !Array.isArray(d.meta)) meta = d.meta;
    else misuse('was given meta that is not an object; it is not recorded');
  }
  let target: AuditTarget | undefined;
  if (d.target !== undefined) {
    if (d.target !== null && typeof d.target === 'object') target = d.target;
    else misuse('was given a target that is not { type, id, name }; it is not recorded');
  }
  let requestId: string | null = null;
  if (d.requestId !== undefined) {
    if (typeof d.requestId === 'string' && /^[\x21-\x7e]{1,128}$/.test(d.requestId)) requestId = d.requestId;
    else misuse('was given a requestId that is not 1-128 printable ASCII characters; it is not recorded');
  }
  const sourceIp = typeof d.sourceIp === 'string' && d.sourceIp.length > 0 ? d.sourceIp : null;
  const durationMs = typeof d.durationMs === 'number' && Number.isFinite(d.durationMs) && d.durationMs >= 0 ? d.durationMs : null;
  const operationType = typeof d.operationType === 'string' && d.operationType.length > 0 ? d.operationType.slice(0, 128) : operationTypeOf(name);
  return {
    event: name,
    from,
    operationId: name,
    operationType,
    result,
    source,
    sourceVerified: verified,
    sourceIp,
    requestId,
    durationMs,
    errorCode: result === 'failure' && d.error !== undefined ? errorCodeOf(d.error) : null,
    target,
    meta,
    change,
  };
}

export function operatorOf(operator: EventOperator | undefined, misuse: Misuse): { source: string | null; verified: boolean } {
  if (operator === undefined) return { source: null, verified: false };
  if (typeof operator === 'string' && operator.length > 0) return { source: operator, verified: true };
  if (operator !== null && typeof operator === 'object' && typeof operator.name === 'string' && operator.name.length > 0) {
    return { source: operator.name, verified: operator.verified !== false };
  }
  misuse('was given an operator that is neither a name nor { name, verified }; no operator is recorded');
  return { source: null, verified: false };
}

/**
 * The object form of an application event, `auditor.record(event)`: the query API (feat/api) records
 * reads of the trail (`audit.log.view`, `audit.log.export`) this way. It is a thin use of
 * `auditor.event()`; names starting with `audit.` are allowed here, because auditkit's own
 * components use it.
 */
export interface ApplicationEvent {
  /** The event's name: letters, digits and `_ . : -`, at most 128 (e.g. `audit.log.view`). */
  event: string;
  /** The operator the application has authenticated; `null` (the default) when nobody is identified. */
  source?: string | null;
  /** Defaults to true when `source` is given: the application vouches for the operator it names. */
  sourceVerified?: boolean;
  /** Where the event came from: `app` (the default), `rest_api`, `cli`, ... */
  from?: string;
  /** The peer's address, when the event has one. */
  sourceIp?: string | null;
  /** Links the event to a request's records; ignored unless 1-128 printable ASCII characters. */
  requestId?: string | null;
  /** Default `success`. */
  result?: EventResult;
  /** What the event acted on. */
  target?: AuditTarget;
  /** Data for the event; redacted like a request's meta. */
  meta?: Record<string, unknown>;
  /** What it changed. */
  change?: ChangeInput;
}

/** `auditor.record()`'s event as the details of `auditor.event()`; a problem is reported and nothing recorded. */
export function applicationEventInput(ev: ApplicationEvent, misuse: Misuse): EventRecordInput | undefined {
  if (ev === null || typeof ev !== 'object') {
    misuse('expects an event object; nothing was recorded');
    return undefined;
  }
  if (typeof ev.event !== 'string' || !EVENT_NAME.test(ev.event)) {
    misuse('expects event: a name of letters, digits and _ . : - (at most 128); nothing was recorded');
    return undefined;
  }
  if (ev.meta !== undefined && (ev.meta === null || typeof ev.meta !== 'object' || Array.isArray(ev.meta))) {
    misuse('expects meta to be an object; nothing was recorded');
    return undefined;
  }
  const source = typeof ev.source === 'string' && ev.source.length > 0 ? ev.source : undefined;
  const requestId = typeof ev.requestId === 'string' && /^[\x21-\x7e]{1,128}$/.test(ev.requestId) ? ev.requestId : undefined;
  // A bad request id is dropped quietly here, as the query API passes the client's header through.
  return appEventInput(
    ev.event,
    {
      from: typeof ev.from === 'string' && ev.from.length > 0 ? ev.from.slice(0, 64) : undefined,
      operator: source === undefined ? undefined : { name: source, verified: ev.sourceVerified !== false },
      sourceIp: typeof ev.sourceIp === 'string' ? ev.sourceIp : undefined,
      requestId,
      result: ev.result,
      target: ev.target ?? undefined,
      meta: ev.meta,
      change: ev.change,
    },
    misuse,
    true,
  );
}

/** What an outcome may add to its attempt's details. */
export type OutcomeDetails = Pick<AppEventDetails, 'meta' | 'change' | 'target'>;

/**
 * Write-ahead for something about to happen: the `attempt` record goes out at once (await
 * `written` to know it is on disk before you start), and `success()` or `failure(err)` writes the
 * outcome, with the same name, operator and `request_id`, and the time taken.
 */
export class AuditAttempt {
  /** The `request_id` both records share. */
  readonly id: string;
  /** Resolves true once every sink has the attempt record (written or durably spooled). */
  readonly written: Promise<boolean>;
  readonly #name: string;
  readonly #details: AppEventDetails;
  readonly #deliver: (name: string, details: AppEventDetails) => Promise<boolean>;
  readonly #misuse: Misuse;
  readonly #started = performance.now();
  #settled = false;

  constructor(name: string, details: AppEventDetails | undefined, deliver: (name: string, details: AppEventDetails) => Promise<boolean>, misuse: Misuse) {
    this.#details = details !== null && typeof details === 'object' ? details : {};
    this.id = typeof this.#details.requestId === 'string' ? this.#details.requestId : uuidv7();
    this.#name = name;
    this.#deliver = deliver;
    this.#misuse = misuse;
    this.written = deliver(name, { ...this.#details, result: 'attempt', error: undefined, requestId: this.id });
  }

  success(details?: OutcomeDetails): Promise<boolean> {
    return this.#outcome('success', undefined, details);
  }

  /** The attempt failed; `error`'s code is recorded, never its message. */
  failure(error?: unknown, details?: OutcomeDetails): Promise<boolean> {
    return this.#outcome('failure', error, details);
  }

  #outcome(result: 'success' | 'failure', error: unknown, details: OutcomeDetails | undefined): Promise<boolean> {
    if (this.#settled) {
      this.#misuse(`was settled twice for "${this.#name}"; only the first outcome is recorded`);
      return Promise.resolve(false);
    }
    this.#settled = true;
    const base = this.#details;
    return this.#deliver(this.#name, {
      ...base,
      ...details,
      meta: base.meta || details?.meta ? { ...base.meta, ...details?.meta } : undefined,
      result,
      error: result === 'failure' ? (error ?? 'failed') : undefined,
      requestId: this.id,
      durationMs: performance.now() - this.#started,
    });
  }
}
