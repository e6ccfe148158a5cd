import { performance } from 'node:perf_hooks';
import { canonicalJson } from '../shared/canonical.js';
import type { RunDeps } from './command-run.js';
import { errorCodeOf, type EventRecordInput } from '../record/event-record.js';
import { hostOperator, type HostOperator } from './host-operator.js';
import { uuidv7 } from '../shared/ids.js';
import type { ResolvedRedaction } from '../redact/options.js';
import type { EventResult } from '../model/record.js';
import { maskStatement } from '../redact/statement-mask.js';

/**
 * A console session (a REPL on a production box; Basecamp's console1984 for Rails): the session's
 * opening with the operator and the reason they gave, every statement before it runs (an `attempt`
 * record, written before the statement is let through) and its outcome, and the session's end. All
 * share the session's id as `request_id`; statement records are marked `sensitive`. The end is
 * written however the process ends, `process.exit()` typed at the prompt included.
 */

export interface ConsoleSessionOptions {
  /** Why the session is needed, in the operator's words (console1984's justification). */
  reason?: string;
  /** A name the operator gave (a flag, an environment variable): recorded as asserted, never verified. */
  assertedOperator?: string;
  /** The records' `from`. Default `console`. */
  from?: string;
  /** The host's operator, when the caller has already established it. */
  host?: HostOperator;
}

/** One statement: settle it once with its outcome. */
export interface ConsoleStatement {
  /** Resolves true once the `attempt` record is on disk (or durably spooled). */
  readonly written: Promise<boolean>;
  /** The statement ran; `error` when it threw (its code is recorded, never its message). */
  done(error?: unknown): Promise<boolean>;
}

export const SESSION_START = 'console.session_start';
export const SESSION_END = 'console.session_end';
export const STATEMENT = 'console.statement';

export class ConsoleSession {
  readonly id = uuidv7();
  /** A run reads only the redaction rules of the auditor's resolved options (which it may be given whole). */
  readonly #opts: Pick<ResolvedRedaction, 'redaction'>;
  readonly #deps: RunDeps;
  readonly #from: string;
  readonly #reason: string | null;
  readonly #asserted: string | null;
  readonly #host: HostOperator;
  readonly #started = performance.now();
  #statements = 0;
  #running: { index: number; text: string; truncated: boolean; started: number } | undefined;
  #closed = false;
  readonly #onExit = (code: number): void => this.#exiting(code);

  constructor(opts: Pick<ResolvedRedaction, 'redaction'>, deps: RunDeps, options: ConsoleSessionOptions = {}) {
    this.#opts = opts;
    this.#deps = deps;
    this.#from = typeof options.from === 'string' && options.from.length > 0 ? options.from : 'console';
    this.#reason = typeof options.reason === 'string' && options.reason.trim().length > 0 ? options.reason.trim().slice(0, 1024) : null;
    this.#asserted = typeof options.assertedOperator === 'string' && options.assertedOperator.length > 0 ? options.assertedOperator.slice(0, 256) : null;
    this.#host = options.host ?? hostOperator();
  }

  get statements(): number {
    return this.#statements;
  }

  /** Writes the session's opening record; resolves true once it is on disk. */
  open(): Promise<boolean> {
    process.on('exit', this.#onExit);
    return this.#deps.record(this.#input(SESSION_START, 'success', null, null, { reason: this.#reason }));
  }

  /**
   * A statement is about to run: its `attempt` record goes out now. Let it run once `written`
   * resolves, so it is on disk first (console1984 records before it evaluates).
   */
  statement(code: string): ConsoleStatement {
    const index = ++this.#statements;
    // The REPL hands a statement over with its final newline.
    const { text, truncated } = maskStatement(this.#opts.redaction, (typeof code === 'string' ? code : String(code)).trimEnd());
    const started = performance.now();
    this.#running = { index, text, truncated, started };
    const detail = { index, statement: text, ...(truncated ? { statement_truncated: true } : {}) };
    const written = this.#deps.record({ ...this.#input(STATEMENT, 'attempt', null, null, detail), sensitive: true });
    let settled = false;
    return {
      written,
      done: (error?: unknown): Promise<boolean> => {
        if (settled) return Promise.resolve(false);
        settled = true;
        if (this.#running?.index === index) this.#running = undefined;
        const result: EventResult = error === undefined ? 'success' : 'failure';
        return this.#deps.record({
          ...this.#input(STATEMENT, result, performance.now() - started, error === undefined ? null : errorCodeOf(error), detail),
          sensitive: true,
        });
      },
    };
  }

  /** The session ended: writes its closing record (with how many statements ran) and resolves once it is on disk. */
  close(): Promise<boolean> {
    if (this.#closed) return Promise.resolve(true);
    this.#closed = true;
    const written = this.#deps.record(this.#input(SESSION_END, 'success', performance.now() - this.#started, null, { statements: this.#statements }));
    return written.finally(() => process.off('exit', this.#onExit));
  }

  #exiting(code: number): void {
    process.off('exit', this.#onExit);
    const running = this.#running;
    if (running) {
      const detail = { index: running.index, statement: running.text, ...(running.truncated ? { statement_truncated: true } : {}) };
      // The statement ended the process (process.exit() at the prompt): that is its outcome.
      void this.#deps.record({
        ...this.#input(STATEMENT, code === 0 ? 'success' : 'failure', performance.now() - running.started, code === 0 ? null : `exit:${code}`, detail),
        sensitive: true,
      });
      this.#running = undefined;
    }
    if (!this.#closed) {
      this.#closed = true;
      void this.#deps.record(this.#input(SESSION_END, code === 0 ? 'success' : 'failure', performance.now() - this.#started, code === 0 ? null : `exit:${code}`, { statements: this.#statements }));
    }
    this.#deps.closeSync();
  }

  #input(event: string, result: EventResult, durationMs: number | null, errorCode: string | null, detail: Record<string, unknown>): EventRecordInput {
    return {
      event,
      from: this.#from,
      operationId: event,
      operationType: 'console',
      result,
      source: this.#host.name,
      sourceVerified: this.#host.verified,
      requestId: this.id,
      durationMs,
      errorCode,
      extras: {
        console: canonicalJson({ session: this.id, reason: this.#reason, ...detail }),
        operator: canonicalJson({ asserted: this.#asserted, login_uid: this.#host.loginUid, uid: this.#host.uid, via: this.#host.via }),
      },
    };
  }
}
