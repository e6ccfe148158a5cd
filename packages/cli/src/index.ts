import { CommanderError } from 'commander';
import { auditCommander } from '@auditkit/commander';
import { CommandFailed } from './audit/outcome.js';
import { openCliTrail } from './audit/cli-trail.js';
import { CLI_COMMANDS, cliProgram } from './program.js';
import { maskUrlsIn } from './store/store-argument.js';
import type { Streams } from './streams.js';
import { USAGE, USAGES } from './usage.js';

/**
 * `auditkit verify <files or dirs> --key public.jwk [--anchors <file>]... [--json] [--require-signed]`
 * `auditkit keygen [--out dir] [--name audit-signing] [--alg ed25519|es256] [--force]`
 * `auditkit import|reconcile <files or dirs> --store <url>` (src/store/)
 * `auditkit serve --store <url> [--host 127.0.0.1] [--port N]` (src/serve/): the dashboard
 *
 * Exit codes: 0 intact (warnings allowed), 1 problems found, 2 usage or input errors. Made for cron:
 * alert on a non-zero exit.
 *
 * Every run leaves one `cli.command` record in the CLI's own audit file (src/audit/cli-trail.ts):
 * the tools of the trail are audited too.
 */

export { keygen, type KeygenResult } from './keygen/keygen.js';
export { formatReport } from './verify/report.js';
export { verifyAuditLog } from '@auditkit/core';
export { serve, type RunningServer, type ServeOptions } from './serve/serve.js';

/** `version` is the package's, read by the bin script (the library has no path to its package.json in both builds). */
export async function main(argv: string[], io: Streams, version?: string): Promise<number> {
  const [command] = argv;
  // Neither is a run of a command: nothing to record, nothing to open.
  if (command === '--version' || command === '-v' || command === 'version') {
    io.out.write(`${version ?? 'unknown'}\n`);
    return 0;
  }
  if (command === undefined) {
    io.err.write(`auditkit: unknown command (none)\n${USAGE}`);
    return 2;
  }
  const trail = openCliTrail(io);
  const program = cliProgram(io);
  if (trail.auditor) auditCommander(program, { auditor: trail.auditor, commands: CLI_COMMANDS, closeAuditor: false });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    return failed(err, command, io);
  } finally {
    await trail.close();
  }
}

/** The exit code of a run that did not return, and the message it prints (never a password). */
function failed(err: unknown, command: string, io: Streams): number {
  // Its report is written: exit 1 says problems were found.
  if (err instanceof CommandFailed) return 1;
  if (err instanceof CommanderError && (err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version')) return err.exitCode;
  if (!Object.hasOwn(USAGES, command) && command !== '--help' && command !== '-h' && command !== 'help') {
    io.err.write(`auditkit: unknown command ${maskUrlsIn(JSON.stringify(command))}\n${USAGE}`);
    return 2;
  }
  const message = err instanceof Error ? err.message.replace(/^error: /, '') : String(err);
  io.err.write(`auditkit ${command}: ${maskUrlsIn(message)}\n`);
  return 2;
}
