import { performance } from 'node:perf_hooks';
import { appEventInput, operatorOf, type AppEventDetails, type EventOperator } from '../record/app-event.js';
import { canonicalJson } from '../shared/canonical.js';
import type { ChangeInput } from '../change/change.js';
import { maskArguments, type CommandDeclaration, type CommandFacts } from './command-args.js';
import { errorCodeOf, type EventRecordInput } from '../record/event-record.js';
import { hostOperator, type HostOperator } from './host-operator.js';
import { uuidv7 } from '../shared/ids.js';
import type { ResolvedRedaction } from '../redact/options.js';
import type { AuditTarget } from '../model/record.js';

/**
 * One run of a command line (a commander or yargs command, a script or migration through
 * `auditor.run()`): exactly one `cli.command` record, written when the run ends, however it ends.
 *
 * - It returns: `success` when the exit code (`process.exitCode`) is 0, else `failure`.
 * - It throws: `failure`, the error's code (never its message), exit code 1.
 * - It calls `process.exit(n)`, or an exception escapes to the top: the record is built in the
 *   process's `exit` event and written synchronously (Auditor.closeSync) before the process ends.
 * - The CLI could not parse it (unknown option, missing argument, unknown command): `failure`, with
 *   the parser's error code. Help and version output is not a run and is not recorded.
 *
 * EMQX records a CLI command without its result or operator; this record has both.
 */

export type RunEnding = 'returned' | 'threw' | 'exited' | 'parse_error';

/** What a command can add to its own record, through `command.audit` (commander) or the run handle. */
export interface CommandAudit {
  /** This run's id: the `request_id` of its record and of events emitted through `event()`. */
  readonly runId: string;
  meta(data: Record<string, unknown>): this;
  target(target: AuditTarget): this;
  change(before: unknown, after: unknown): this;
  /**
   * Names an operator the command authenticated (a token it checked): the record's `source`, with
   * `via: application`. The host's own account stays in the record's `operator`.
   */
  operator(name: string, options?: { verified?: boolean }): this;
  /** An extra application event during the run, sharing its `request_id`, `from` and operator. */
  event(name: string, details?: AppEventDetails): Promise<boolean>;
}

export interface CommandRunOptions {
  /** `cli` unless said otherwise. */
  from?: string;
  /** A name the operator gave (a flag, an environment variable): recorded as asserted, never verified. Read when the run ends. */
  assertedOperator?: string | (() => string | undefined);
  /** The host's operator, when the caller has already established it. */
  host?: HostOperator;
  /** The record's event name. Default `cli.command`. */
  event?: string;
}

export interface RunDeps {
  record(input: EventRecordInput): Promise<boolean>;
  closeSync(): void;
  misuse(method: string, problem: string): void;
  /** A command ran with no declaration: reported once per command, every value masked. */
  undeclared(operationId: string): void;
}

export const CLI_EVENT = 'cli.command';

/** The exit code the process would end with now (`process.exitCode`, 0 when unset). */
export function processExitCode(): number {
  const code = process.exitCode;
  if (code === undefined || code === null) return 0;
  const n = Number(code);
  return Number.isInteger(n) ? n : 1;
}

export class CommandRun implements CommandAudit {
  readonly runId = uuidv7();
  /** A run reads only the redaction rules of the auditor's resolved options (which it may be given whole). */
  readonly #opts: Pick<ResolvedRedaction, 'redaction'>;
  readonly #facts: () => CommandFacts;
  readonly #declaration: CommandDeclaration | undefined | ((facts: CommandFacts) => CommandDeclaration | undefined);
  readonly #deps: RunDeps;
  readonly #from: string;
  readonly #event: string;
  readonly #host: HostOperator;
  readonly #asserted: () => string | undefined;
  readonly #started = performance.now();
  #meta: Record<string, unknown> | undefined;
  #target: AuditTarget | undefined;
  #change: ChangeInput | undefined;
  #appOperator: { source: string; verified: boolean } | undefined;
  #state: 'running' | 'recorded' = 'running';
  #delivered: Promise<boolean> | undefined;
  readonly #onExit = (code: number): void => this.#exiting(code);

  /**
   * @param facts the parsed command, or a function that gives it when the run ends (a CLI parses
   *   after the run has started)
   * @param declaration which values are safe, or a function that gives it for the parsed command
   */
  constructor(
    opts: Pick<ResolvedRedaction, 'redaction'>,
    facts: CommandFacts | (() => CommandFacts),
    declaration: CommandDeclaration | undefined | ((facts: CommandFacts) => CommandDeclaration | undefined),
    deps: RunDeps,
    options: CommandRunOptions = {},
  ) {
    this.#opts = opts;
    this.#facts = typeof facts === 'function' ? facts : () => facts;
    this.#declaration = declaration;
    this.#deps = deps;
    this.#from = options.from ?? 'cli';
    this.#event = options.event ?? CLI_EVENT;
    this.#host = options.host ?? hostOperator();
    const asserted = options.assertedOperator;
    this.#asserted = typeof asserted === 'function' ? asserted : () => asserted;
    // `exit` listeners run synchronously as the process ends: the only place left to write from.
    process.on('exit', this.#onExit);
  }


  meta(data: Record<string, unknown>): this {
    if (data === null || typeof data !== 'object' || Array.isArray(data)) this.#deps.misuse('meta', 'expects an object');
    else this.#meta = Object.assign(this.#meta ?? {}, data);
    return this;
  }

  target(target: AuditTarget): this {
    if (target === null || typeof target !== 'object') this.#deps.misuse('target', 'expects { type, id, name }');
    else this.#target = target;
    return this;
  }

  change(before: unknown, after: unknown): this {
    this.#change = { before, after };
    return this;
  }

  operator(name: string, options?: { verified?: boolean }): this {
    const op: EventOperator = { name, verified: options?.verified !== false };
    const { source, verified } = operatorOf(op, (p) => this.#deps.misuse('operator', p));
    if (source !== null) this.#appOperator = { source, verified };
    return this;
  }

  event(name: string, details?: AppEventDetails): Promise<boolean> {
    const who = this.#who();
    const input = appEventInput(name, { from: this.#from, operator: { name: who.source, verified: who.verified }, ...details, requestId: this.runId }, (p) =>
      this.#deps.misuse('event', p),
    );
    return input === undefined ? Promise.resolve(false) : this.#deps.record(input);
  }

  /**
   * The run ended without leaving the process: writes its record and resolves once every sink has it
   * (true) or some sink could not take it (false). Only the first ending counts.
   */
  finish(ending: { exitCode: number; error?: unknown; how?: RunEnding }): Promise<boolean> {
    if (this.#state === 'recorded') return this.#delivered ?? Promise.resolve(false);
    this.#state = 'recorded';
    const how = ending.how ?? (ending.error !== undefined ? 'threw' : 'returned');
    this.#delivered = this.#deps.record(this.#input(ending.exitCode, ending.error, how)).finally(() => process.off('exit', this.#onExit));
    return this.#delivered;
  }

  /** Forget the run without a record (help or version was shown). */
  discard(): void {
    this.#state = 'recorded';
    process.off('exit', this.#onExit);
  }

  #exiting(code: number): void {
    process.off('exit', this.#onExit);
    if (this.#state === 'running') {
      this.#state = 'recorded';
      void this.#deps.record(this.#input(code, undefined, 'exited'));
    }
    // Whatever is still queued (this record, events of the run, an earlier record) goes out now.
    this.#deps.closeSync();
  }

  #who(): { source: string; verified: boolean } {
    return this.#appOperator ?? { source: this.#host.name, verified: this.#host.verified };
  }

  #input(exitCode: number, error: unknown, how: RunEnding): EventRecordInput {
    const facts = this.#facts();
    const declaration = typeof this.#declaration === 'function' ? this.#declaration(facts) : this.#declaration;
    const operationId = facts.path.length > 0 ? facts.path.join(' ') : facts.program;
    if (declaration === undefined) this.#deps.undeclared(operationId);
    const masked = maskArguments(this.#opts.redaction, facts, declaration);
    let asserted: string | null = null;
    try {
      const a = this.#asserted();
      if (typeof a === 'string' && a.length > 0) asserted = a.slice(0, 256);
    } catch {
      // An unreadable assertion is no assertion.
    }
    const code = Number.isInteger(exitCode) ? exitCode : 1;
    const failed = code !== 0 || error !== undefined;
    const who = this.#who();
    const cli =
      `{"args":${masked.args},"ended":"${how}","exit_code":${code},"extra":${masked.extra},"options":${masked.options},` +
      `"pid":${process.pid},"program":${canonicalJson(facts.program)}}`;
    const operator = canonicalJson({
      asserted,
      login_uid: this.#host.loginUid,
      uid: this.#host.uid,
      via: this.#appOperator ? 'application' : this.#host.via,
    });
    return {
      event: this.#event,
      from: this.#from,
      operationId,
      operationType: facts.path[0] ?? facts.program,
      result: failed ? 'failure' : 'success',
      source: who.source,
      sourceVerified: who.verified,
      requestId: this.runId,
      durationMs: performance.now() - this.#started,
      errorCode: error !== undefined ? errorCodeOf(error) : null,
      target: this.#target,
      meta: this.#meta,
      change: this.#change,
      extras: { cli, operator },
      extrasTruncated: masked.truncated,
    };
  }
}
