import type { REPLServer } from 'node:repl';
import { Script } from 'node:vm';
import { Auditor } from '../auditor.js';
import type { EventEmitter } from 'node:events';
import type { ConsoleSession, ConsoleSessionOptions, ConsoleStatement } from '../events/console-session.js';
import { fail, isPlainObject, onlyKeys } from '../shared/validate.js';

/**
 * Audits a `node:repl` session: translates the REPL's evaluation into the core's console session
 * (console-session.ts). `replServer.eval` is wrapped after `repl.start()`, which sees each statement
 * as the REPL hands it over. Partial multi-line input (the REPL answers it with `repl.Recoverable`)
 * is not yet a statement: input that cannot compile for want of more lines is passed through
 * unrecorded, which is safe because it cannot run.
 *
 * @example
 * const server = repl.start({ prompt: 'prod> ' });
 * const session = auditRepl(server, { auditor, reason: process.env.CONSOLE_REASON });
 * server.on('exit', () => void session.ended.then(() => auditor.close()));
 */

export interface AuditReplOptions extends ConsoleSessionOptions {
  auditor: Auditor;
  /** Refuse to start without a reason. Default false. */
  requireReason?: boolean;
  /**
   * Refuse to run a statement whose record could not be written (the trail is down): the REPL
   * answers with an error instead. Default false: the statement runs and a fault is reported.
   */
  failClosed?: boolean;
}

type EvalCallback = (err: Error | null, result?: unknown) => void;
type Eval = (this: REPLServer, code: string, context: object, file: string, cb: EvalCallback) => void;

/** Input that would compile with more lines: nothing in it can run yet. */
function needsMoreInput(code: string): boolean {
  const incomplete = (source: string): boolean => {
    try {
      new Script(source);
      return false;
    } catch (err) {
      return err instanceof SyntaxError && /Unexpected end of input|Unterminated template|missing \) after argument list/.test(err.message);
    }
  };
  // The REPL also runs `{ ... }` as an object literal, and code with `await` inside an async wrapper.
  if (!incomplete(code)) return false;
  if (code.trimStart().startsWith('{') && !incomplete(`(${code}\n)`)) return false;
  if (code.includes('await') && !incomplete(`(async () => {\n${code}\n})`)) return false;
  return true;
}

/** `repl.Recoverable`, told by name so that loading the core does not load node:repl. */
function isRecoverable(err: unknown): boolean {
  return err instanceof SyntaxError && err.constructor.name === 'Recoverable';
}

/** The session of a REPL: `ended` resolves once its last statement and its closing record are written. */
export type ReplSession = ConsoleSession & { readonly ended: Promise<void> };

export function auditRepl(server: REPLServer, options: AuditReplOptions): ReplSession {
  if (!isPlainObject(options)) fail('(root)', 'auditRepl needs { auditor }', 'pass auditRepl(server, { auditor, reason })');
  onlyKeys(options, ['auditor', 'reason', 'assertedOperator', 'from', 'host', 'requireReason', 'failClosed'], '');
  if (!(options.auditor instanceof Auditor)) fail('auditor', 'must be an Auditor', 'pass createAuditor({ file: ... })');
  if (server === null || typeof server !== 'object' || typeof (server as { eval?: unknown }).eval !== 'function') {
    fail('(server)', 'is not a REPL server', 'pass the server repl.start() returned');
  }
  if (options.requireReason === true && !(typeof options.reason === 'string' && options.reason.trim().length > 0)) {
    fail('reason', 'is required (requireReason is on)', 'ask the operator why they need the console, e.g. from an environment variable or a prompt');
  }
  const { auditor, failClosed } = options;
  const session = auditor.consoleSession(options);
  const opened = session.open();
  const original = server.eval as Eval;
  // The REPL runs statements in a domain: a statement that throws reaches the domain's error handler
  // (which prints it), not the eval callback. That is where its outcome is learnt.
  let running: { statement: ConsoleStatement; next: () => void } | undefined;
  (server as unknown as { _domain?: EventEmitter })._domain?.on('error', (err: unknown) => {
    const r = running;
    running = undefined;
    if (r) {
      void r.statement.done(err);
      r.next();
    }
  });

  // Statements run one after another, each once its record is written: input piped in faster than
  // that must not run out of order, nor after the session has ended.
  let queue: Promise<unknown> = opened;
  const audited: Eval = function auditedEval(code, context, file, cb) {
    if (needsMoreInput(code)) {
      original.call(this, code, context, file, cb);
      return;
    }
    queue = queue.then(
      () =>
        new Promise<void>((next) => {
          const statement = session.statement(code);
          void statement.written.then((written) => {
            if (auditor.closed || (!written && failClosed === true)) {
              // Nothing runs unrecorded: the trail is closed, or (failClosed) the record was not written.
              void statement.done({ code: 'audit_unavailable' });
              cb(new Error('auditkit: this statement was not run, because its audit record could not be written'));
              next();
              return;
            }
            const mine = { statement, next };
            running = mine;
            original.call(this, code, context, file, (err, result) => {
              if (running === mine) running = undefined;
              // The REPL asks for more lines after all: nothing ran; the statement comes again, complete.
              if (isRecoverable(err)) void statement.done({ code: 'incomplete' });
              else void statement.done(err ?? undefined);
              cb(err, result);
              next();
            });
            // A statement that threw synchronously went to the domain instead of the callback: done too.
            if (running !== mine) next();
          });
        }),
    );
  };
  (server as { eval: REPLServer['eval'] }).eval = audited as REPLServer['eval'];
  // The session ends after its last statement: close the auditor once `ended` resolves.
  const ended = new Promise<void>((resolve) => {
    server.once('exit', () => {
      void queue.then(() => session.close()).then(() => resolve());
    });
  });
  Object.defineProperty(session, 'ended', { value: ended, enumerable: true });
  return session as ReplSession;
}
