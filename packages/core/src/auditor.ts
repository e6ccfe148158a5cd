import { EventEmitter } from 'node:events';
import { writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { appEventInput, applicationEventInput, AuditAttempt, operatorOf, type AppEventDetails, type ApplicationEvent } from './record/app-event.js';
import { NO_AUTH } from './auth/auth.js';
import type { CommandDeclaration, CommandFacts } from './events/command-args.js';
import { ConsoleSession, type ConsoleSessionOptions } from './events/console-session.js';
import { CommandRun, processExitCode, type CommandAudit, type CommandRunOptions, type RunDeps } from './events/command-run.js';
import { buildEventEntry, type EventRecordInput } from './record/event-record.js';
import { AuditFileTransport } from './delivery/file-transport.js';
import { closeRecord, configDigest, configSummary, pauseRecord, startRecord, type PauseOptions, type SinkSummary } from './events/lifecycle.js';
import { SinkChannel, withDeadline, type DropReason, type PendingDrop, type SinkStats } from './delivery/channel.js';
import { nowMicros } from './shared/clock.js';
import { AuditContext, type ContextOwner } from './capture/context.js';
import { AuditConfigError, AuditFault, type AuditErrorCode } from './shared/errors.js';
import type { AdapterBinding, AuditFacts, CompletionFacts, StartFacts } from './capture/facts.js';
import { isAcceptableRequestId, uuidv7 } from './shared/ids.js';
import { resolveOptions, type AuditOptions, type ResolvedOptions } from './options.js';
import type { ResolvedSink } from './delivery/options.js';
import { normalizeTemplate } from './policy/route-pattern.js';
import { canonicalJson } from './shared/canonical.js';
import { AuditEntry } from './record/entry.js';
import { DROPPED_EVENT, UNMATCHED_ROUTE, type DroppedRecord } from './model/record.js';
import { DropRelay } from './delivery/drop-relay.js';
import { buildEntries, OversizeRecord, type RecordInput } from './record/record-builder.js';
import { Spool } from './delivery/spool.js';
import { LoggerTarget, TransportTarget, type SinkTarget } from './delivery/winston-targets.js';

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

export interface CloseOptions {
  /** How long close() may take before it keeps what is left in the spools (or counts it failed). Default 10000. */
  timeoutMs?: number;
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

/** What a request's records are, once policy and auth have spoken. */
interface Built {
  entries: Array<AuditEntry | OversizeRecord>;
  includesRequest: boolean;
}

/**
 * The auditor: one per application. Adapters call `begin` when a request arrives and the context's
 * `complete` (or, when a sink is blocking or strict, `beforeSend`) when it is done; everything between
 * (policy, auth, redaction, delivery) happens here.
 *
 * Events: `fault` (an AuditFault: a sink failed, records were dropped, a user hook threw). With no
 * `fault` listener, faults become process warnings, at most one per code a minute, so a broken
 * audit trail is never silent.
 */
export class Auditor extends EventEmitter implements ContextOwner {
  readonly options: ResolvedOptions;
  readonly requestIdHeader: string;
  /** True when some sink is blocking or strict: adapters then hold each audited response until its record is written. */
  readonly holdsResponses: boolean;
  readonly #channels: SinkChannel[];
  readonly #strictChannels: SinkChannel[];
  readonly #waitingChannels: SinkChannel[];
  readonly #relay: DropRelay;
  #building = 0;
  #buildWaiters: Array<() => void> = [];
  #refused = 0;
  #closing: Promise<void> | undefined;
  readonly #faults: Partial<Record<AuditErrorCode, number>> = {};
  #notMountedReported = false;
  readonly #lastWarning = new Map<AuditErrorCode, number>();
  readonly #startedAt = performance.now();
  /** Set while auditing is paused at run time: since when, and how many records were not written. */
  #paused: { since: number; skipped: number } | undefined;
  #closedSync = false;
  readonly #undeclared = new Set<string>();
  /** Some rule may record a response body (checked per request only then). */
  readonly #recordsResponses: boolean;

  constructor(options?: AuditOptions) {
    super();
    this.options = resolveOptions(options, (what, err) => this.#hookFailed(what, err));
    this.requestIdHeader = this.options.requestIdHeader;
    this.#recordsResponses = this.options.policy.recordsResponses;
    const hooks = {
      makeDroppedRecord: (sink: string, drop: PendingDrop) => this.#droppedRecord(sink, drop),
      onDropStart: (sink: string, reason: DropReason) => {
        if (reason === 'closed') this.#fault('AUDITKIT_CLOSED', `sink ${sink} received records after close(); they are dropped`, sink);
        else this.#fault('AUDITKIT_RECORDS_DROPPED', `sink ${sink} is dropping records: ${reason.replace('_', ' ')}`, sink);
        const channel = this.#channels.find((c) => c.name === sink);
        if (channel) this.#relay.watch(channel);
      },
      onWriteFailed: (sink: string, err: unknown, count: number, spooling: boolean) =>
        this.#fault(
          'AUDITKIT_SINK_FAILED',
          `sink ${sink} failed${count > 0 ? ` with ${count} record(s) unconfirmed` : ''}: ${describeError(err)}; ${spooling ? 'its records go to its spool on disk and are replayed once it answers' : 'its records wait in its queue and the write is retried'}`,
          sink,
          err,
        ),
      onSpoolFailed: (sink: string, err: unknown, what: 'write' | 'cursor', waiting: number) =>
        this.#fault(
          'AUDITKIT_SINK_FAILED',
          what === 'write'
            ? `sink ${sink} could not write its spool: ${describeError(err)}; ${waiting} record(s) wait in memory, not crash-safe, and the spool write is retried (the sink too, once the spool is empty); past queue.max new records are dropped and counted`
            : `sink ${sink} could not save its spool cursor: ${describeError(err)}; records it already delivered may be sent again after a restart`,
          sink,
          err,
        ),
      onRecovered: (sink: string, backlog: number) => this.emit('recovered', { sink, backlog }),
      onLost: (sink: string, count: number, why: string) =>
        this.#fault('AUDITKIT_SINK_FAILED', `sink ${sink} closed with ${count} record(s) undelivered and ${why}; they are counted as failed`, sink),
    };
    const names = new Set<string>();
    const summaries: SinkSummary[] = [];
    this.#channels = this.options.sinks.map((sink, i) => {
      let name = nameOf(sink, i);
      if (names.has(name)) name = `${name}#${i}`;
      names.add(name);
      // A sink's own coded fault (a broken chain) keeps its code; anything else is a failed sink.
      const onFault = (err: unknown): void =>
        err instanceof AuditFault
          ? this.#fault(err.code, err.message.replace(/^\[auditkit\] /, ''), name, err)
          : this.#fault('AUDITKIT_SINK_FAILED', `sink ${name} reported: ${describeError(err)}`, name, err);
      const target: SinkTarget = sink.kind === 'logger' ? new LoggerTarget(sink.logger!, onFault) : new TransportTarget(sink.transport!, name, onFault);
      const spool = this.#spoolFor(sink, target, name, i);
      const chained = sink.transport instanceof AuditFileTransport && sink.transport.settings.chain !== undefined;
      summaries.push({ name, mode: sink.mode, spool: spool !== undefined, chained, ...(sink.select ? { select: sink.select.summary } : {}), ...(sink.fields ? { fields: sink.fields.names } : {}) });
      return new SinkChannel(
        target,
        {
          ...sink.queue,
          mode: sink.mode,
          spool,
          maxInFlightBatches: target.maxInFlightBatches,
          select: sink.select,
          fields: sink.fields,
        },
        hooks,
        nowMicros,
      );
    });
    this.#relay = new DropRelay(this.#channels, (sink, drop) => this.#droppedRecord(sink, drop));
    this.#strictChannels = this.#channels.filter((c) => c.mode === 'strict');
    this.#waitingChannels = this.#channels.filter((c) => c.mode !== 'async');
    this.holdsResponses = this.#waitingChannels.length > 0;
    if (this.options.lifecycle) {
      const summary = configSummary(options, this.options, summaries);
      void this.#record(startRecord(summary, configDigest(summary)), true);
    }
  }

  /**
   * A request has arrived. Returns its context; when `refused` is set (strict mode, no room for the
   * record) the adapter answers with STRICT_REFUSAL and does not run the handler.
   */
  begin<Carrier>(start: StartFacts, binding: AdapterBinding<Carrier>, carrier: Carrier): AuditContext<Carrier> {
    let watching = this.#closing === undefined && this.options.policy.mayAudit(start.method, start.routeSetting);
    if (watching && this.#paused !== undefined) {
      this.#paused.skipped++;
      watching = false;
    }
    const incoming = start.headers[this.requestIdHeader];
    const ctx = new AuditContext<Carrier>(this, start, binding, carrier, watching, isAcceptableRequestId(incoming) ? incoming : undefined);
    // Even for a request not watched yet: a handler may still ask for its record.
    if (this.#recordsResponses || start.routeSetting !== undefined) ctx.wantsResponseBody = this.options.policy.mayRecordResponse(start.method, start.routeSetting, start.route);
    if (!watching) return ctx;
    if (this.#strictChannels.length > 0) {
      const room = this.#strictChannels.map((c) => c.hasRoom());
      if (!(this.options.success === 'all' ? room.every(Boolean) : room.some(Boolean))) {
        this.#refuse(ctx, 'a strict sink has no room for its record');
        return ctx;
      }
      for (const c of this.#strictChannels) c.reserve();
      ctx.reserved = true;
    }
    binding.setHeader(carrier, this.requestIdHeader, ctx.requestId);
    binding.watchCompletion(carrier, ctx);
    return ctx;
  }

  /** ContextOwner: called once per context by `ctx.complete(facts)`. Never waits, never throws. */
  complete(ctx: AuditContext, facts: CompletionFacts): void {
    try {
      const built = this.#build(ctx, facts);
      if (built === undefined) {
        this.#release(ctx);
        return;
      }
      if (!(built instanceof Promise)) {
        this.#accept(ctx, built, false);
        return;
      }
      // Verification is async (a JWKS fetch, a key lookup): the response has gone, so only the record waits.
      this.#track(
        built.then(
          (b) => void (b ? this.#accept(ctx, b, false) : this.#release(ctx)),
          (err: unknown) => this.#buildFailed(ctx, err),
        ),
      );
    } catch (err) {
      this.#buildFailed(ctx, err);
    }
  }

  /**
   * ContextOwner: the response is about to be sent and some sink is blocking or strict. Resolves true to
   * send it, false to answer STRICT_REFUSAL instead. Never rejects.
   */
  async beforeSend(ctx: AuditContext, facts: CompletionFacts): Promise<boolean> {
    let built: Built | undefined;
    try {
      built = await this.#build(ctx, facts);
    } catch (err) {
      this.#buildFailed(ctx, err);
      return this.#strictChannels.length === 0;
    }
    if (built === undefined) {
      this.#release(ctx);
      return true;
    }
    const outcomes = this.#accept(ctx, built, true);
    const results = await Promise.all(outcomes.map(([, p]) => p));
    const strict = outcomes.map(([c], i) => [c, results[i]] as const).filter(([c]) => c.mode === 'strict');
    if (strict.length === 0) return true;
    const ok = this.options.success === 'all' ? strict.every(([, r]) => r) : strict.some(([, r]) => r);
    if (!ok) {
      this.#refused++;
      this.#fault('AUDITKIT_STRICT_REFUSED', `strict mode refused a response: its record was not durably accepted by ${this.options.success === 'all' ? 'every' : 'any'} strict sink`);
    }
    return ok;
  }

  newRequestId(): string {
    return uuidv7();
  }

  /**
   * Records an application event: something that happened without an HTTP request (a job, a queue
   * consumer, a webhook, a domain service). Redacted, delivered and chained like every record.
   * Resolves true once every sink has written it (or durably spooled it), false when a sink dropped
   * it or reported a failure first (it stays queued and is retried). Never rejects; a misuse is a
   * fault, not an exception.
   *
   * @example
   * await auditor.event('user.role_changed', {
   *   operator: 'job:nightly-sync',
   *   target: { type: 'user', id: '42' },
   *   change: { before: { role: 'member' }, after: { role: 'admin' } },
   * });
   */
  event(name: string, details?: AppEventDetails): Promise<boolean> {
    const input = appEventInput(name, details, this.#misuseOf('event'));
    return input === undefined ? Promise.resolve(false) : this.#record(input);
  }

  /**
   * The object form of `event()`, for auditkit's own components (the query API records reads of the
   * trail as `audit.log.view`): `record({ event, source, from, sourceIp, requestId, result, target,
   * meta })`. It waits only for blocking and strict sinks, and resolves false only when a strict sink
   * could not take the record, so the caller can refuse what it was about to do, as strict mode
   * refuses a request. Never rejects; a malformed event is a fault and is not recorded.
   */
  record(event: ApplicationEvent): Promise<boolean> {
    const input = applicationEventInput(event, this.#misuseOf('record'));
    if (input === undefined) return Promise.resolve(this.#strictChannels.length === 0);
    return this.#record(input, false, 'strict');
  }

  /**
   * Write-ahead: records `name` as an `attempt` now and returns a handle whose `success()` or
   * `failure(err)` records the outcome under the same `request_id`. Await `written` before acting
   * when the attempt must be on disk first.
   */
  attempt(name: string, details?: AppEventDetails): AuditAttempt {
    const misuse = this.#misuseOf('attempt');
    return new AuditAttempt(
      name,
      details,
      (n, d) => {
        const input = appEventInput(n, d, misuse);
        return input === undefined ? Promise.resolve(false) : this.#record(input);
      },
      misuse,
    );
  }

  /**
   * Starts the record of one command-line run; the commander and yargs integrations translate their
   * parsed command into `facts`. See command-run.ts for how a run ends.
   */
  command(
    facts: CommandFacts | (() => CommandFacts),
    declaration: CommandDeclaration | undefined | ((facts: CommandFacts) => CommandDeclaration | undefined),
    options?: CommandRunOptions,
  ): CommandRun {
    return new CommandRun(this.options, facts, declaration, this.#runDeps('command'), options);
  }

  /**
   * Runs a script or migration as an audited command: one `cli.command` record with `name` as its
   * operation_id, the outcome, the time taken and the operator, written even when `fn` calls
   * `process.exit()`. Resolves with `fn`'s result once the record is written; rethrows its error.
   *
   * @example
   * await auditor.run('migrate 2026-11-add-index', async (audit) => {
   *   audit.meta({ rows: await migrate() });
   * });
   */
  async run<T>(name: string, fn: (audit: CommandAudit) => T | Promise<T>, options?: CommandRunOptions): Promise<T> {
    const path = typeof name === 'string' && name.trim().length > 0 ? name.trim().split(/\s+/) : ['run'];
    await this.ready();
    const run = this.command({ program: process.argv[1] === undefined ? 'node' : basename(process.argv[1]), path }, { safe: [] }, options);
    let result: T;
    try {
      result = await fn(run);
    } catch (err) {
      await run.finish({ exitCode: 1, error: err, how: 'threw' });
      throw err;
    }
    await run.finish({ exitCode: processExitCode(), how: 'returned' });
    return result;
  }

  /**
   * Starts the record of a console session (see console-session.ts); `auditRepl()` wires a
   * `node:repl` server to one. Call `open()` on it, then `statement(code)` for each statement.
   */
  consoleSession(options?: ConsoleSessionOptions): ConsoleSession {
    return new ConsoleSession(this.options, this.#runDeps('console'), options);
  }

  /**
   * Switches auditing off at run time: one `audit.paused` record naming who (required) and why.
   * Until resume(), requests, events and commands are not recorded; they are counted, and the
   * `audit.resumed` record says how many. Resolves true once the record is written.
   */
  pause(options: PauseOptions): Promise<boolean> {
    return this.#switch(true, options);
  }

  /** Switches auditing back on: one `audit.resumed` record naming who, how long it was off and what it skipped. */
  resume(options: PauseOptions): Promise<boolean> {
    return this.#switch(false, options);
  }

  get paused(): boolean {
    return this.#paused !== undefined;
  }

  /**
   * Opens every sink ahead of its first record: the audit file is opened and, when tamper-evident,
   * its chain picked up. Command lines await this before running, so that a record written as the
   * process exits can continue the chain synchronously. Never rejects; a sink that cannot open
   * reports a fault and retries at its first write.
   */
  async ready(): Promise<void> {
    await Promise.all(
      this.#channels.map((c) =>
        c.open().catch((err: unknown) => this.#fault('AUDITKIT_SINK_FAILED', `sink ${c.name} could not be opened: ${describeError(err)}`, c.name, err)),
      ),
    );
  }

  /**
   * The last resort when the process ends without its event loop (called from an \`exit\` listener,
   * as the command-line integrations do): every record still waiting is written synchronously where
   * the sink can (auditkit's file), else put in the sink's spool (fsynced; replayed by the next
   * process), else reported lost on stderr. The auditor is closed afterwards.
   */
  closeSync(): { written: number; spooled: number; lost: number } {
    const total = { written: 0, spooled: 0, lost: 0 };
    if (this.#closedSync) return total;
    this.#closedSync = true;
    this.#closing ??= Promise.resolve();
    for (const c of this.#channels) {
      const r = c.closeSync();
      total.written += r.written;
      total.spooled += r.spooled;
      total.lost += r.lost;
      if (r.lost > 0) {
        const message = `[auditkit] sink ${c.name} lost ${r.lost} record(s): the process ended before they were written, and the sink has no spool`;
        this.#faults.AUDITKIT_SINK_FAILED = (this.#faults.AUDITKIT_SINK_FAILED ?? 0) + 1;
        // No warning can be printed once the process is exiting (they go out on a later tick).
        if (this.listenerCount('fault') > 0) this.#fault('AUDITKIT_SINK_FAILED', message.slice(11), c.name);
        else writeStderr(message + '\n');
      }
    }
    return total;
  }

  /**
   * An adapter found routes that its middleware never sees (mounted after them). Reported once per
   * auditor as AUDITKIT_NOT_MOUNTED; `problem` names what was found and the fix.
   */
  notMounted(problem: string): void {
    if (this.#notMountedReported) return;
    this.#notMountedReported = true;
    this.#fault('AUDITKIT_NOT_MOUNTED', problem);
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
   * Waits for records being built, delivers what is queued, replays what it can from spools, then
   * closes every transport. Whatever is still undelivered at the deadline stays in a sink's spool
   * (replayed by the next process) or, without one, is counted as failed and reported. Close the HTTP
   * server first: records of requests that complete afterwards are dropped and counted.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closing ??= (async () => {
      const deadline = Date.now() + (options.timeoutMs ?? 10_000);
      await withDeadline(this.#buildsSettled(), Math.max(0, deadline - Date.now()));
      if (this.options.lifecycle) void this.#record(closeRecord(performance.now() - this.#startedAt, this.#totals()), true);
      // A sink that cannot deliver everything gives up a little before the deadline, leaving the other
      // sinks time to write down how many records it lost (see drop-relay.ts).
      const grace = Math.min(500, Math.max(0, deadline - Date.now()) / 5);
      const drained = await Promise.all(this.#channels.map((c) => c.drain(deadline - grace)));
      await Promise.all(this.#channels.filter((_, i) => !drained[i]).map((c) => c.stop()));
      this.#relay.flush();
      await Promise.all(this.#channels.map((c) => c.drain(deadline)));
      await Promise.all(this.#channels.map((c) => c.close(deadline)));
    })();
    return this.#closing;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Builds an event record and offers it to every sink; resolves true once each has it durably. Never rejects. */
  #record(input: EventRecordInput, evenWhenPaused = false, waitFor: 'every' | 'strict' = 'every'): Promise<boolean> {
    if (this.#paused !== undefined && !evenWhenPaused) {
      this.#paused.skipped++;
      return Promise.resolve(waitFor === 'every' ? false : this.#strictChannels.length === 0);
    }
    let entry: AuditEntry | OversizeRecord;
    try {
      entry = buildEventEntry(this.options, input);
    } catch (err) {
      this.#fault('AUDITKIT_HOOK_FAILED', `building the ${input.event} record failed: ${describeError(err)}`, undefined, err);
      return Promise.resolve(false);
    }
    if (entry instanceof OversizeRecord) {
      this.#fault('AUDITKIT_RECORDS_DROPPED', `a ${input.event} record of ${entry.bytes} bytes is over limits.recordBytes (${this.options.limits.recordBytes}) even without its meta; it is dropped`);
      for (const c of this.#channels) if (c.selects(entry.head)) c.drop('oversize');
      return Promise.resolve(waitFor === 'every' ? false : this.#strictChannels.length === 0);
    }
    const accepted = entry;
    const channels = this.#channels.filter((c) => c.selects(accepted.head));
    if (waitFor === 'strict') {
      // As a request: async sinks are not waited for; blocking and strict ones are, within writeTimeoutMs.
      const waits: Array<[SinkChannel, Promise<boolean>]> = [];
      for (const c of channels) {
        if (c.mode === 'async') c.offer(accepted, false);
        else waits.push([c, this.#offerAndWait(c, accepted, false)]);
      }
      return Promise.all(waits.map(([, p]) => p)).then((results) => {
        const strict = results.filter((_, i) => waits[i]![0].mode === 'strict');
        if (strict.length === 0) return true;
        return this.options.success === 'all' ? strict.every(Boolean) : strict.some(Boolean);
      });
    }
    return Promise.all(
      channels.map((c) => new Promise<boolean>((resolve) => void c.offer(accepted, false, { resolve: () => resolve(true), reject: () => resolve(false) }))),
    ).then((all) => all.every(Boolean));
  }

  #runDeps(method: string): RunDeps {
    return {
      record: (input) => this.#record(input),
      closeSync: () => void this.closeSync(),
      misuse: (m, problem) => this.#fault('AUDITKIT_HOOK_FAILED', `${method} audit.${m}() ${problem}`),
      undeclared: (operationId) => {
        if (this.#undeclared.has(operationId)) return;
        this.#undeclared.add(operationId);
        this.#fault('AUDITKIT_UNDECLARED_COMMAND', `command "${operationId}" has no audit declaration, so every argument and option value is masked; declare { safe: [...] } (or { safe: [] }) for it`);
      },
    };
  }

  #misuseOf(method: string): (problem: string) => void {
    return (problem) => this.#fault('AUDITKIT_HOOK_FAILED', `auditor.${method}() ${problem}`);
  }

  async #switch(pause: boolean, options: PauseOptions): Promise<boolean> {
    const method = pause ? 'pause' : 'resume';
    const o = options !== null && typeof options === 'object' ? options : ({} as PauseOptions);
    const who = operatorOf(o.operator, this.#misuseOf(method));
    if (who.source === null) {
      this.#fault('AUDITKIT_HOOK_FAILED', `auditor.${method}() needs the operator who ${pause ? 'pauses' : 'resumes'} auditing; nothing changed`);
      return false;
    }
    if (pause === (this.#paused !== undefined)) return true;
    const from = typeof o.from === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(o.from) ? o.from : 'app';
    const reason = typeof o.reason === 'string' && o.reason.length > 0 ? o.reason : null;
    if (pause) {
      const written = this.#record(pauseRecord(true, { source: who.source, verified: who.verified }, from, reason, {}), true);
      this.#paused = { since: performance.now(), skipped: 0 };
      return written;
    }
    const was = this.#paused!;
    this.#paused = undefined;
    return this.#record(pauseRecord(false, { source: who.source, verified: who.verified }, from, reason, { skipped: was.skipped, pausedMs: performance.now() - was.since }), true);
  }

  #totals(): { accepted: number; dropped: number; failed: number } {
    const t = { accepted: 0, dropped: 0, failed: 0 };
    for (const c of this.#channels) {
      const s = c.stats();
      t.accepted += s.accepted;
      t.dropped += s.dropped;
      t.failed += s.failed;
    }
    return t;
  }

  /** Decides what a request records; `undefined` when nothing, a promise when auth needs verifying. */
  #build(ctx: AuditContext, facts: CompletionFacts): Built | Promise<Built> | undefined {
    if (this.#paused !== undefined) {
      this.#paused.skipped++;
      return undefined;
    }
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
    if (!includeRequest && ctx.events === undefined) return undefined;

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

    const input: RecordInput = {
      ctx,
      facts,
      operationId,
      operationType,
      from,
      sourceIp,
      requestId: ctx.requestId,
      auth: NO_AUTH,
      timeMicros,
      durationMs: Math.round((completedAt - ctx.startedAt) * 1000) / 1000,
      includeRequest,
      level: decision.level,
    };
    const auth = opts.auth.detect(ctx.start.headers);
    if (!(auth instanceof Promise)) {
      input.auth = auth;
      return { entries: buildEntries(opts, input), includesRequest: includeRequest };
    }
    return auth.then((verified) => {
      input.auth = verified;
      return { entries: buildEntries(opts, input), includesRequest: includeRequest };
    });
  }

  /**
   * Offers a request's records to every sink. With `wait`, returns for each blocking or strict sink
   * whether it confirmed (or durably spooled) the request's last record in time.
   */
  #accept(ctx: AuditContext, built: Built, wait: boolean): Array<[SinkChannel, Promise<boolean>]> {
    const { entries, includesRequest } = built;
    const last = entries.length - 1;
    const outcomes: Array<[SinkChannel, Promise<boolean>]> = [];
    for (let i = 0; i <= last; i++) {
      const entry = entries[i]!;
      if (entry instanceof OversizeRecord) {
        this.#fault('AUDITKIT_RECORDS_DROPPED', `a record of ${entry.bytes} bytes is over limits.recordBytes (${this.options.limits.recordBytes}) even without its body; it is dropped`);
      }
      // The request record (always last) uses the places strict mode reserved for it.
      const usesReservation = ctx.reserved && includesRequest && i === last;
      for (const channel of this.#channels) {
        const reserved = usesReservation && channel.mode === 'strict';
        // A sink that does not take this record neither holds a place for it nor waits for it.
        if (!channel.selects(entry.head)) {
          if (reserved) channel.release();
          continue;
        }
        if (entry instanceof OversizeRecord) {
          channel.drop('oversize');
          if (reserved) channel.release();
          continue;
        }
        if (wait && i === last && channel.mode !== 'async') {
          outcomes.push([channel, this.#offerAndWait(channel, entry, reserved)]);
        } else {
          channel.offer(entry, reserved);
        }
      }
    }
    if (ctx.reserved && !(includesRequest && last >= 0)) this.#release(ctx);
    ctx.reserved = false;
    return outcomes;
  }

  #offerAndWait(channel: SinkChannel, entry: AuditEntry, reserved: boolean): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      let settled = false;
      const timer = setTimeout(() => {
        this.#fault(
          'AUDITKIT_SINK_FAILED',
          `${channel.mode} sink ${channel.name} did not confirm a record within ${channel.writeTimeoutMs} ms; the response was ${channel.mode === 'strict' ? 'refused unless another strict sink confirmed' : 'released without it'}`,
          channel.name,
        );
        done(false);
      }, channel.writeTimeoutMs);
      const done = (ok: boolean): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(ok);
      };
      channel.offer(entry, reserved, { resolve: () => done(true), reject: () => done(false) });
    });
  }

  #refuse(ctx: AuditContext, why: string): void {
    ctx.refused = true;
    this.#refused++;
    this.#fault('AUDITKIT_STRICT_REFUSED', `strict mode refused a request: ${why}`);
  }

  #release(ctx: AuditContext): void {
    if (!ctx.reserved) return;
    ctx.reserved = false;
    for (const c of this.#strictChannels) c.release();
  }

  #buildFailed(ctx: AuditContext, err: unknown): void {
    // The audit path never breaks the request: an unexpected failure here is a fault, not a throw.
    this.#release(ctx);
    this.#fault('AUDITKIT_HOOK_FAILED', `building a record failed: ${describeError(err)}`, undefined, err);
  }

  #track(p: Promise<void>): void {
    this.#building++;
    void p.finally(() => {
      this.#building--;
      if (this.#building === 0) {
        const waiters = this.#buildWaiters;
        this.#buildWaiters = [];
        for (const w of waiters) w();
      }
    });
  }

  #buildsSettled(): Promise<void> {
    if (this.#building === 0) return Promise.resolve();
    return new Promise((resolve) => this.#buildWaiters.push(resolve));
  }

  #spoolFor(sink: ResolvedSink, target: SinkTarget, name: string, index: number): Spool | undefined {
    const settings = sink.spool ?? (target.network ? this.options.spool : false);
    if (settings === false) return undefined;
    const dir = join(settings.dir, name.replace(/[^A-Za-z0-9._-]+/g, '_'));
    try {
      return new Spool({ dir, maxBytes: settings.maxBytes });
    } catch (err) {
      throw new AuditConfigError(
        'AUDITKIT_SINK_UNAVAILABLE',
        sink.spool ? `sinks[${index}].spool.dir` : 'spool.dir',
        `the spool directory ${dir} cannot be used (${describeError(err)})`,
        'point it at a writable directory on a local disk',
        err,
      );
    }
  }

  #droppedRecord(sink: string, drop: PendingDrop): AuditEntry {
    const time = nowMicros();
    const record: DroppedRecord = {
      dropped: drop.count,
      event: DROPPED_EVENT,
      first_dropped_at: this.options.formatter.format(drop.firstMicros),
      id: uuidv7(Math.floor(time / 1000)),
      last_dropped_at: this.options.formatter.format(drop.lastMicros),
      level: 'error',
      node: this.options.node,
      reason: drop.reason,
      sink,
      time,
      ts: this.options.formatter.format(time),
    };
    return new AuditEntry(canonicalJson(record), record);
  }

  #hookFailed(what: string, err: unknown): void {
    this.#fault('AUDITKIT_HOOK_FAILED', `options.${what} threw: ${describeError(err)}`, undefined, err);
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

function writeStderr(text: string): void {
  try {
    writeSync(2, text);
  } catch {
    // stderr is closed: there is nowhere left to say it.
  }
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  // Node's system errors already start with their code ("ENOSPC: no space left on device, write").
  return code && !err.message.startsWith(code) ? `${code}: ${err.message}` : err.message;
}

function nameOf(sink: ResolvedSink, index: number): string {
  if (sink.kind === 'logger') return 'logger';
  const t = sink.transport as { sinkName?: unknown; name?: unknown };
  if (typeof t.sinkName === 'string') return t.sinkName;
  return typeof t.name === 'string' && t.name.length > 0 ? t.name : `transport#${index}`;
}

export function createAuditor(options?: AuditOptions): Auditor {
  return new Auditor(options);
}
