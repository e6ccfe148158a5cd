import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { createAuditor, type Auditor } from '@auditkit/core';
import type { Streams } from '../streams.js';

/**
 * The CLI's own audit trail: every run of `auditkit` (verify, keygen, import, reconcile, serve)
 * leaves its `cli.command` record in one JSON-lines file per user, the same format as any auditkit
 * file, so `auditkit import` can load it into a store and `auditkit verify` reads it.
 *
 * The file is chosen by the environment, not by a flag: the auditor opens it before the command
 * line is parsed, because a run that fails to parse is recorded too, and a record written as the
 * process exits must be able to go out synchronously.
 */

export const AUDIT_LOG_ENV = 'AUDITKIT_AUDIT_LOG';

/** `AUDITKIT_AUDIT_LOG`, else `$XDG_STATE_HOME/auditkit/cli-audit.log`, else `~/.local/state/auditkit/cli-audit.log`. */
export function cliAuditLogPath(env: NodeJS.ProcessEnv = process.env): string {
  const given = env[AUDIT_LOG_ENV];
  if (given !== undefined && given !== '') return resolve(given);
  const state = env.XDG_STATE_HOME;
  // The XDG Base Directory spec: a relative XDG_STATE_HOME is invalid and is ignored.
  const base = state !== undefined && isAbsolute(state) ? state : join(homedir(), '.local', 'state');
  return join(base, 'auditkit', 'cli-audit.log');
}

export interface CliTrail {
  readonly path: string;
  /** Undefined when the file cannot be opened: the command then runs unrecorded, and has said so. */
  readonly auditor: Auditor | undefined;
  /** Writes what is queued and closes the file; quick when the file has already failed. */
  close(): Promise<void>;
}

/**
 * Opens the trail. When it cannot be written (a read-only directory, a full disk), the command still
 * does its job and keeps its exit code: one line on stderr says the record is missing and why, never
 * more than one per run.
 */
export function openCliTrail(io: Streams, env: NodeJS.ProcessEnv = process.env): CliTrail {
  const path = cliAuditLogPath(env);
  let said = false;
  const say = (why: string): void => {
    if (said) return;
    said = true;
    io.err.write(`auditkit: the audit record of this run cannot be written to ${path} (${why}); set ${AUDIT_LOG_ENV} to a file you can write\n`);
  };
  let auditor: Auditor;
  try {
    // The directory is created 0700 and the file 0600: the trail names who ran what.
    auditor = createAuditor({ file: { path } });
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    say(describe(cause ?? err));
    return { path, auditor: undefined, close: async () => undefined };
  }
  auditor.on('fault', (fault: Error) => say(fault.message.replace(/^\[auditkit\] /, '')));
  return {
    path,
    auditor,
    // A file that failed once will not take the record by waiting: do not hold the command's exit for it.
    close: () => auditor.close({ timeoutMs: said ? 0 : 5000 }),
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
