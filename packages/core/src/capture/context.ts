import { performance } from 'node:perf_hooks';
import { isChangeInput, type ChangeInput } from '../change/change.js';
import type { AdapterBinding, CompletionFacts, StartFacts } from './facts.js';
import type { AuditTarget, OperationResult } from '../model/record.js';

/**
 * The per-request side of auditing: what the handler sees as `req.audit` / `request.audit` /
 * `ctx.audit`, and what the adapter completes when the response is done.
 */

export interface AuditEventDetails {
  /** Data for this event; redacted like the body. */
  meta?: Record<string, unknown>;
  /** Defaults to the request's own result. */
  result?: OperationResult;
  /** What the event acted on; defaults to the request's target. */
  target?: AuditTarget;
  /** What the event changed: the state before and after, redacted, with the JSON Patch between them. */
  change?: ChangeInput;
}

/** What a handler can do with the audit record of its request. Every method returns the handle. */
export interface AuditHandle {
  /** This request's id: the incoming `x-request-id` when acceptable, else a generated UUIDv7. */
  readonly requestId: string;
  /** Attaches data to the record's `meta` (merged; later keys win). Redacted like the body. */
  meta(data: Record<string, unknown>): this;
  /**
   * Names the operator (the record's `source`). The application has authenticated them, so the
   * record says `source_verified: true` unless you pass `{ verified: false }` (e.g. a failed login
   * naming the account it tried).
   */
  operator(source: string, options?: { verified?: boolean }): this;
  /** Names what the request acted on: `{ type: 'user', id: '42' }`. */
  target(target: AuditTarget): this;
  /**
   * Records what the request changed: the state before and after (leave one out, or pass null, for a
   * creation or a deletion). Both are redacted by the same rules as the body (path rules under
   * `state.`), and the record carries the RFC 6902 JSON Patch between the redacted states.
   */
  change(before: unknown, after: unknown): this;
  /** Overrides operation_type for this request. */
  operationType(type: string): this;
  /** No record for this request (extra events already emitted are still written). */
  skip(): this;
  /** Record this request even if the policy would skip it (e.g. an important GET). */
  record(): this;
  /** Emits an extra named record that shares this request's request_id (Mattermost's several events per call). */
  event(name: string, details?: AuditEventDetails): this;
}

/** What the auditor provides to a context; kept as an interface so the two files do not import each other. */
export interface ContextOwner {
  complete(ctx: AuditContext, facts: CompletionFacts): void;
  beforeSend(ctx: AuditContext, facts: CompletionFacts): Promise<boolean>;
  newRequestId(): string;
  readonly requestIdHeader: string;
  misuse(method: string, problem: string): void;
}

export interface PendingEvent {
  name: string;
  meta: Record<string, unknown> | undefined;
  result: OperationResult | undefined;
  target: AuditTarget | undefined;
  change: ChangeInput | undefined;
}

const EVENT_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;

export class AuditContext<Carrier = unknown> implements AuditHandle {
  readonly start: StartFacts;
  /** performance.now() at request start. */
  readonly startedAt: number;
  /** Whether the adapter is watching this request's completion. */
  watching: boolean;
  /** strict mode: places were reserved for this request's record. */
  reserved = false;
  /** strict mode: the request was refused before the handler ran. */
  refused = false;
  /**
   * The record may be made at level `request-response`: the adapter keeps what the handler answers
   * and hands it over in the completion facts. Set by the auditor when the request arrives.
   */
  wantsResponseBody = false;

  readonly #owner: ContextOwner;
  readonly #binding: AdapterBinding<Carrier>;
  readonly #carrier: Carrier;
  readonly #incomingId: string | undefined;
  #requestId: string | undefined;
  #done = false;

  /** Handler decisions, read by the auditor at completion. */
  forced: boolean | undefined;
  metaData: Record<string, unknown> | undefined;
  operatorName: string | undefined;
  operatorVerified = true;
  targetData: AuditTarget | undefined;
  changeData: ChangeInput | undefined;
  operationTypeOverride: string | undefined;
  events: PendingEvent[] | undefined;

  constructor(
    owner: ContextOwner,
    start: StartFacts,
    binding: AdapterBinding<Carrier>,
    carrier: Carrier,
    watching: boolean,
    incomingId: string | undefined,
  ) {
    this.#owner = owner;
    this.start = start;
    this.#binding = binding;
    this.#carrier = carrier;
    this.watching = watching;
    this.#incomingId = incomingId;
    this.startedAt = performance.now();
  }

  get requestId(): string {
    return (this.#requestId ??= this.#incomingId ?? this.#owner.newRequestId());
  }

  get done(): boolean {
    return this.#done;
  }

  meta(data: Record<string, unknown>): this {
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      this.#owner.misuse('meta', 'expects an object');
      return this;
    }
    this.metaData = this.metaData ? Object.assign(this.metaData, data) : Object.assign({}, data);
    return this;
  }

  operator(source: string, options?: { verified?: boolean }): this {
    if (typeof source !== 'string' || source.length === 0) {
      this.#owner.misuse('operator', 'expects a non-empty string');
      return this;
    }
    this.operatorName = source;
    this.operatorVerified = options?.verified !== false;
    return this;
  }

  target(target: AuditTarget): this {
    if (target === null || typeof target !== 'object') {
      this.#owner.misuse('target', 'expects { type, id, name }');
      return this;
    }
    this.targetData = target;
    return this;
  }

  change(before: unknown, after: unknown): this {
    this.changeData = { before, after };
    return this;
  }

  operationType(type: string): this {
    if (typeof type !== 'string' || type.length === 0) {
      this.#owner.misuse('operationType', 'expects a non-empty string');
      return this;
    }
    this.operationTypeOverride = type;
    return this;
  }

  skip(): this {
    this.forced = false;
    return this;
  }

  record(): this {
    this.forced = true;
    this.#watch();
    return this;
  }

  event(name: string, details?: AuditEventDetails): this {
    if (typeof name !== 'string' || !EVENT_NAME.test(name)) {
      this.#owner.misuse('event', 'expects a name of letters, digits and _ . : - (at most 128)');
      return this;
    }
    if (this.#done) {
      this.#owner.misuse('event', `was called after the request completed; event "${name}" is not recorded`);
      return this;
    }
    (this.events ??= []).push({
      name,
      meta: details?.meta,
      result: details?.result === 'success' || details?.result === 'failure' ? details.result : undefined,
      target: details?.target,
      change: details?.change === undefined ? undefined : isChangeInput(details.change) ? details.change : this.#badChange(),
    });
    this.#watch();
    return this;
  }

  #badChange(): undefined {
    this.#owner.misuse('event', 'was given a change that is not { before, after }; the change is not recorded');
    return undefined;
  }

  /** Called by the adapter once, when the response is done or the client went away. */
  complete(facts: CompletionFacts): void {
    if (this.#done) return;
    this.#done = true;
    this.#owner.complete(this as AuditContext, facts);
  }

  /**
   * With a blocking or strict sink, the adapter calls this just before the response goes out, with the
   * status about to be sent, and sends only when it resolves: true to send the response, false to send
   * the strict refusal instead. Completion afterwards is a no-op.
   */
  beforeSend(facts: CompletionFacts): Promise<boolean> {
    if (this.#done) return Promise.resolve(true);
    this.#done = true;
    return this.#owner.beforeSend(this as AuditContext, facts);
  }

  /** A request first judged not auditable has become so: the adapter starts watching it now. */
  #watch(): void {
    if (this.watching || this.#done) return;
    this.watching = true;
    this.#binding.setHeader(this.#carrier, this.#owner.requestIdHeader, this.requestId);
    this.#binding.watchCompletion(this.#carrier, this);
  }
}
