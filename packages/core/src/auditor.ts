import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { LEVEL, MESSAGE } from 'triple-beam';
import type { AuthResult } from './auth.js';
import { SinkChannel, type PendingDrop, type SinkStats } from './channel.js';
import { nowMicros } from './clock.js';
import { AuditContext, type ContextOwner } from './context.js';
import { AuditFault, type AuditErrorCode } from './errors.js';
import type { AdapterBinding, AuditFacts, CompletionFacts, StartFacts } from './facts.js';
import { isAcceptableRequestId, uuidv7 } from './ids.js';
import { resolveOptions, type AuditOptions, type ResolvedOptions } from './options.js';
import { normalizeTemplate } from './route-pattern.js';
import { DROPPED_EVENT, UNMATCHED_ROUTE, type AuditRecord, type DroppedRecord } from './record.js';
import { buildRecords } from './record-builder.js';
import { LoggerTarget, TransportTarget } from './winston-targets.js';

export interface AuditStats {
  /** Per sink, by name. */
  sinks: Record<string, SinkStats>;
  /** Records still being built (waiting on a JWT verification or an API-key lookup). */
  building: number;
  /** Requests strict mode refused with 503. */
  refused: number;
  /** Fault reports by code. */
  faults: Partial<Record<AuditErrorCode, number>>;
}

/** The JSON body strict mode answers with when it refuses a request. */
export const STRICT_REFUSAL = Object.freeze({
  status: 503,
  body: Object.freeze({
    error: 'audit_unavailable',
    message: 'The audit trail cannot accept a record for this request, so it was not processed. Retry later.',
  }),
});

const WARN_INTERVAL_MS = 60_000;

/**
 * The auditor: one per application. Adapters call `begin` when a request arrives and the context's
 * `complete` when it is done; everything between (policy, auth, redaction, delivery) happens here.
 *
 * Events: `fault` (an AuditFault: a sink failed, records were dropped, a user hook threw). With no
 * `fault` listener, faults become process warnings, at most one per code a minute, so a broken
 * audit trail is never silent.
 */
export class Auditor extends EventEmitter implements ContextOwner {
  readonly options: ResolvedOptions;
  readonly requestIdHeader: string;
  readonly #channels: SinkChannel[];
  #building = 0;
  #buildWaiters: Array<() => void> = [];
  #refused = 0;
  #closing: Promise<void> | undefined;
  readonly #faults: Partial<Record<AuditErrorCode, number>> = {};
  readonly #lastWarning = new Map<AuditErrorCode, number>();

  constructor(options?: AuditOptions) {
    super();
    this.options = resolveOptions(options, (what, err) => this.#hookFailed(what, err));
    this.requestIdHeader = this.options.requestIdHeader;
    const hooks = {
      prepare: prepareRecord,
      makeDroppedRecord: (sink: string, drop: PendingDrop) => this.#droppedRecord(sink, drop),
      onDropStart: (sink: string, reason: PendingDrop['reason']) =>
        reason === 'closed'
          ? this.#fault('AUDITKIT_CLOSED', `sink ${sink} received records after close(); they are dropped`, sink)
          : this.#fault('AUDITKIT_RECORDS_DROPPED', `sink ${sink} is dropping records: its queue is full`, sink),
      onWriteFailed: (sink: string, err: unknown, count: number) =>
        this.#fault('AUDITKIT_SINK_FAILED', `sink ${sink} failed to write ${count} record(s): ${(err as Error)?.message ?? String(err)}`, sink, err),
    };
    const names = new Set<string>();
    this.#channels = this.options.sinks.map((sink, i) => {
      const onFault = (err: unknown): void => this.#fault('AUDITKIT_SINK_FAILED', `sink ${nameOf(sink, i)} reported: ${(err as Error)?.message ?? String(err)}`, nameOf(sink, i), err);
      let name = nameOf(sink, i);
      if (names.has(name)) name = `${name}#${i}`;
      names.add(name);
      const target = sink.kind === 'logger' ? new LoggerTarget(sink.logger, onFault) : new TransportTarget(sink.transport, name, onFault);
      return new SinkChannel(target, this.options.queue, hooks, nowMicros);
    });
  }

  /**
   * A request has arrived. Returns its context; when `refused` is set (strict mode, no room for the
   * record) the adapter answers with STRICT_REFUSAL and does not run the handler.
   */
  begin<Carrier>(start: StartFacts, binding: AdapterBinding<Carrier>, carrier: Carrier): AuditContext<Carrier> {
    const watching = this.#closing === undefined && this.options.policy.mayAudit(start.method, start.routeSetting);
    const incoming = start.headers[this.requestIdHeader];
    const ctx = new AuditContext<Carrier>(
      this,
      start,
      binding,
      carrier,
      watching,
      isAcceptableRequestId(incoming) ? incoming : undefined,
    );
    if (!watching) return ctx;
    if (this.options.strict) {
      if (!this.#channels.every((c) => c.hasRoom())) {
        ctx.refused = true;
        this.#refused++;
        this.#fault('AUDITKIT_STRICT_REFUSED', 'strict mode refused a request: a sink has no room for its record');
        return ctx;
      }
      for (const c of this.#channels) c.reserve();
      ctx.reserved = true;
    }
    binding.setHeader(carrier, this.requestIdHeader, ctx.requestId);
    binding.watchCompletion(carrier, ctx);
    return ctx;
  }

  /** ContextOwner: called once per context by `ctx.complete(facts)`. */
  complete(ctx: AuditContext, facts: CompletionFacts): void {
    try {
      this.#complete(ctx, facts);
    } catch (err) {
      // The audit path never breaks the request: an unexpected failure here is a fault, not a throw.
      this.#release(ctx);
      this.#fault('AUDITKIT_HOOK_FAILED', `building a record failed: ${(err as Error)?.message ?? String(err)}`, undefined, err);
    }
  }

  newRequestId(): string {
    return uuidv7();
  }

  misuse(method: string, problem: string): void {
    this.#fault('AUDITKIT_HOOK_FAILED', `req.audit.${method}() ${problem}`);
  }

  stats(): AuditStats {
    const sinks: Record<string, SinkStats> = {};
    for (const c of this.#channels) sinks[c.name] = c.stats();
    return { sinks, building: this.#building, refused: this.#refused, faults: { ...this.#faults } };
  }

  /** Sink names, in the order they were configured. */
  get sinkNames(): string[] {
    return this.#channels.map((c) => c.name);
  }

  /**
   * Waits for every record being built, writes every queued record, then ends and flushes every
   * transport. Resolves when all accepted records are in the transports. Close the HTTP server first:
   * records of requests that complete afterwards are dropped and counted.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#buildsSettled();
      await Promise.all(this.#channels.map((c) => c.close()));
    })();
    return this.#closing;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  #complete(ctx: AuditContext, facts: CompletionFacts): void {
    const opts = this.options;
    const completedAt = performance.now();
    const timeMicros = nowMicros();
    const operationId = facts.route === undefined ? UNMATCHED_ROUTE : normalizeTemplate(facts.route);
    const method = ctx.start.method;
    const decision = opts.policy.decide(method, operationId, facts.routeSetting ?? ctx.start.routeSetting);
    let includeRequest = ctx.forced ?? decision.audit;

    const sourceIp = opts.sourceIp(ctx.start.remoteAddress, ctx.start.headers);
    let facts4user: AuditFacts | undefined;
    const userFacts = (): AuditFacts =>
      (facts4user ??= {
        method,
        operationId,
        statusCode: facts.statusCode,
        headers: ctx.start.headers,
        params: facts.params,
        query: facts.query,
        sourceIp,
        requestId: ctx.requestId,
        aborted: facts.aborted,
      });

    if (includeRequest && ctx.forced === undefined && opts.skip) {
      try {
        if (opts.skip(userFacts()) === true) includeRequest = false;
      } catch (err) {
        // Recording too much beats losing a record: a throwing predicate keeps the record.
        this.#hookFailed('skip', err);
      }
    }
    if (!includeRequest && ctx.events === undefined) {
      this.#release(ctx);
      return;
    }

    let operationType = ctx.operationTypeOverride ?? decision.operationType;
    if (operationType === undefined) {
      try {
        operationType = opts.policy.deriveType(operationId);
        if (typeof operationType !== 'string' || operationType.length === 0) throw new Error('returned no string');
      } catch (err) {
        this.#hookFailed('operationType', err);
        operationType = operationId;
      }
    }
    let from = 'rest_api';
    if (typeof opts.from === 'string') from = opts.from;
    else {
      try {
        const f = opts.from(userFacts());
        if (typeof f === 'string' && f.length > 0) from = f.slice(0, 64);
        else throw new Error('returned no string');
      } catch (err) {
        this.#hookFailed('from', err);
      }
    }

    const base = {
      ctx,
      facts,
      operationId,
      operationType,
      from,
      sourceIp,
      requestId: ctx.requestId,
      timeMicros,
      durationMs: Math.round((completedAt - ctx.startedAt) * 1000) / 1000,
      includeRequest,
    };
    const auth = opts.auth.detect(ctx.start.headers);
    if (!(auth instanceof Promise)) {
      this.#accept(ctx, buildRecords(opts, { ...base, auth }), includeRequest);
      return;
    }
    // Verification is async (a JWKS fetch, a key lookup): the response has gone already, so only the
    // record waits. close() waits for it too.
    this.#building++;
    auth
      .then(
        (a: AuthResult) => this.#accept(ctx, buildRecords(opts, { ...base, auth: a }), includeRequest),
        (err: unknown) => {
          this.#release(ctx);
          this.#fault('AUDITKIT_HOOK_FAILED', `auth detection failed: ${(err as Error)?.message}`, undefined, err);
        },
      )
      .finally(() => {
        this.#building--;
        if (this.#building === 0) {
          const waiters = this.#buildWaiters;
          this.#buildWaiters = [];
          for (const w of waiters) w();
        }
      });
  }

  #accept(ctx: AuditContext, records: AuditRecord[], includesRequest: boolean): void {
    const last = records.length - 1;
    for (let i = 0; i <= last; i++) {
      const record = records[i]!;
      (record as unknown as Record<symbol, unknown>)[LEVEL] = record.level;
      // The request record (always last) uses the places strict mode reserved for it.
      const reserved = ctx.reserved && includesRequest && i === last;
      for (const channel of this.#channels) channel.offer(record, reserved);
    }
    if (includesRequest && last >= 0) ctx.reserved = false;
    else this.#release(ctx);
  }

  #release(ctx: AuditContext): void {
    if (!ctx.reserved) return;
    ctx.reserved = false;
    for (const c of this.#channels) c.release();
  }

  #buildsSettled(): Promise<void> {
    if (this.#building === 0) return Promise.resolve();
    return new Promise((resolve) => this.#buildWaiters.push(resolve));
  }

  #droppedRecord(sink: string, drop: PendingDrop): DroppedRecord {
    const time = nowMicros();
    const record: DroppedRecord = {
      id: uuidv7(Math.floor(time / 1000)),
      time,
      ts: this.options.formatter.format(time),
      level: 'error',
      event: DROPPED_EVENT,
      node: this.options.node,
      sink,
      dropped: drop.count,
      first_dropped_at: this.options.formatter.format(drop.firstMicros),
      last_dropped_at: this.options.formatter.format(drop.lastMicros),
      reason: drop.reason,
    };
    (record as unknown as Record<symbol, unknown>)[LEVEL] = 'error';
    return record;
  }

  #hookFailed(what: string, err: unknown): void {
    this.#fault('AUDITKIT_HOOK_FAILED', `options.${what} threw: ${(err as Error)?.message ?? String(err)}`, undefined, err);
  }

  #fault(code: AuditErrorCode, message: string, sink?: string, cause?: unknown): void {
    this.#faults[code] = (this.#faults[code] ?? 0) + 1;
    const fault = new AuditFault(code, message, sink, cause);
    if (this.listenerCount('fault') > 0) {
      try {
        this.emit('fault', fault);
      } catch {
        // A throwing listener must not take the audit path down with it.
      }
      return;
    }
    const now = Date.now();
    const last = this.#lastWarning.get(code) ?? 0;
    if (now - last < WARN_INTERVAL_MS) return;
    this.#lastWarning.set(code, now);
    process.emitWarning(fault.message, { type: 'AuditkitWarning', code });
  }
}

function nameOf(sink: ResolvedOptions['sinks'][number], index: number): string {
  if (sink.kind === 'logger') return 'logger';
  const t = sink.transport as { sinkName?: unknown; name?: unknown };
  if (typeof t.sinkName === 'string') return t.sinkName;
  return typeof t.name === 'string' && t.name.length > 0 ? t.name : `transport#${index}`;
}

/** Serialises a record once; every transport that needs the JSON line reads it from MESSAGE. */
function prepareRecord(record: AuditRecord): void {
  const r = record as unknown as Record<symbol, unknown>;
  if (r[MESSAGE] === undefined) r[MESSAGE] = JSON.stringify(record);
}

export function createAuditor(options?: AuditOptions): Auditor {
  return new Auditor(options);
}
