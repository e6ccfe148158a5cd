import { Command, type CommanderError } from 'commander';
import type { CommandAudit, CommandDeclaration } from '@auditkit/commander';
import { CommandFailed, OUTCOME_CODES, usageErrorCode, type CommandOutcome } from './audit/outcome.js';
import { keygenCommand, type KeygenFlags } from './keygen/command.js';
import { serveCommand, type ServeFlags } from './serve/command.js';
import { importCommand, type ImportFlags } from './store/import.js';
import { reconcileCommand, type ReconcileFlags } from './store/reconcile.js';
import { maskUrlsIn, StoreArgument } from './store/store-argument.js';
import type { Streams } from './streams.js';
import { usageOf } from './usage.js';
import { verifyCommand, type VerifyFlags } from './verify/command.js';

/**
 * The `auditkit` command line on commander 14 (15 needs Node 22), audited by @auditkit/commander.
 * What each command may show in its record: paths, flags, the store's address with its password
 * masked (StoreArgument). Nothing else the CLI takes is a secret, but the list is explicit anyway,
 * and a test fails when a command has no entry.
 */
export const CLI_COMMANDS: Readonly<Record<string, CommandDeclaration>> = {
  verify: { safe: ['paths', 'key', 'anchors', 'json', 'requireSigned'] },
  keygen: { safe: ['out', 'name', 'alg', 'force'] },
  import: { safe: ['paths', 'store', 'maxAgeDays', 'json'] },
  reconcile: { safe: ['paths', 'store', 'maxAgeDays', 'maxRecords', 'allNodes', 'json'] },
  serve: { safe: ['store', 'host', 'port'] },
};

/** Help and version output: not runs, and they end with commander's own exit code (0). */
const NOT_RUNS = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

export function cliProgram(io: Streams): Command {
  const program = new Command('auditkit')
    // Set before the commands are added: commander copies these to each of them.
    .configureOutput({ writeOut: (s) => void io.out.write(s), writeErr: (s) => void io.err.write(s), outputError: () => undefined })
    .configureHelp({ formatHelp: (cmd) => usageOf(cmd.parent ? cmd.name() : undefined) })
    .exitOverride(usageExit);

  program
    .command('verify')
    .argument('[paths...]')
    .option('--key <file>')
    .option('--anchors <file>', 'a copy of the checkpoints kept elsewhere (repeatable)', collect)
    .option('--json')
    .option('--require-signed')
    .action((paths: string[], flags: VerifyFlags, cmd: Command) => runOutcome(cmd, () => verifyCommand(paths, flags, io)));

  program
    .command('keygen')
    .option('--out <dir>')
    .option('--name <name>')
    .option('--alg <alg>')
    .option('--force')
    .action((flags: KeygenFlags, cmd: Command) => runOutcome(cmd, () => keygenCommand(flags, io)));

  program
    .command('import')
    .argument('[paths...]')
    .option('--store <url>', 'sqlite:<file> or postgres://…', storeArgument)
    .option('--max-age-days <days>')
    .option('--json')
    .action((paths: string[], flags: ImportFlags, cmd: Command) => runOutcome(cmd, () => importCommand(paths, flags, io)));

  program
    .command('reconcile')
    .argument('[paths...]')
    .option('--store <url>', 'sqlite:<file> or postgres://…', storeArgument)
    .option('--max-age-days <days>')
    .option('--max-records <n>')
    .option('--all-nodes')
    .option('--json')
    .action((paths: string[], flags: ReconcileFlags, cmd: Command) => runOutcome(cmd, () => reconcileCommand(paths, flags, io)));

  program
    .command('serve')
    .option('--store <url>', 'sqlite:<file> or postgres://…', storeArgument)
    .option('--host <host>')
    .option('--port <port>')
    // serve takes no operands; it says so in its own words (and the record masks them).
    .allowExcessArguments(true)
    .action((flags: ServeFlags, cmd: Command) => runOutcome(cmd, () => serveCommand(cmd.args, flags, io)));

  return program;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function storeArgument(value: string): StoreArgument {
  return new StoreArgument(value);
}

/**
 * Usage errors exit 2, as they always have (commander's own code is 1). @auditkit/commander calls
 * this override before it records the run, so the record holds the exit code the process ends with.
 */
function usageExit(err: CommanderError): never {
  if (!NOT_RUNS.has(err.code)) err.exitCode = 2;
  throw err;
}

/**
 * Runs a command and turns its outcome into the ending @auditkit/commander records: an error it
 * throws (a usage or input error) becomes a commander error with exit code 2 and the error's code;
 * exit 1 (problems found) is thrown as CommandFailed, recorded with its code. The message is printed
 * by main(), never recorded.
 */
async function runOutcome(cmd: Command, command: () => Promise<CommandOutcome>): Promise<void> {
  let outcome: CommandOutcome;
  try {
    outcome = await command();
  } catch (err) {
    cmd.error(maskUrlsIn(err instanceof Error ? err.message : String(err)), { exitCode: 2, code: usageErrorCode(err) });
  }
  // Undefined when the trail could not be opened: the command runs unrecorded.
  const audit = (cmd as { audit?: CommandAudit }).audit;
  if (outcome.meta) audit?.meta(outcome.meta);
  if (outcome.exitCode === 1) throw new CommandFailed(outcome.failure ?? OUTCOME_CODES.tampered);
}
