import type { Command, CommanderError } from 'commander';
import {
  checkCommandLineOptions,
  processExitCode,
  type CommandLineOptions,
  type CommandAudit,
  type CommandDeclaration,
  type CommandFacts,
  type CommandRun,
  type ValueSource,
} from '@auditkit/core';

/**
 * auditkit for commander 14 (15 needs Node 22). Translates a parsed commander command into the core's
 * command facts; every decision (masking, operator, outcome, when and how the record is written) is
 * the core's (command-run.ts).
 *
 * commander's hooks cannot see every ending: `postAction` does not run when the action throws, parse
 * errors never reach `preAction`, and `exitOverride()` is not inherited by `.addCommand()`. So the
 * run is started around `parseAsync`, every command gets an exit override (wrapping any of yours),
 * and the dispatched command is followed through `preSubcommand`.
 *
 * @example
 * const program = new Command('acme-admin');
 * program.command('users').command('delete').argument('<id>').option('--force').action(deleteUser);
 * auditCommander(program, { auditor, commands: { 'users delete': { safe: ['id', 'force'] } } });
 * await program.parseAsync();
 */

declare module 'commander' {
  interface Command {
    /** This run's audit record: attach meta, a target, what changed, a verified operator; emit events. */
    readonly audit: CommandAudit;
  }
}

export type { CommandAudit, CommandDeclaration } from '@auditkit/core';

/**
 * `commands`: every command that runs, by its path below the program (`'users delete'`; the
 * program's own name for a program without subcommands). A command with no entry has every value
 * masked (and a fault says so); `missingDeclarations()` lets a test fail first. `operatorOption` is
 * the option's attribute name (`as` for `--as <name>`).
 */
export type CommanderAuditOptions = CommandLineOptions;

const UNKNOWN_COMMAND = '<unknown>';
const NOT_RUNS = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version', 'commander.executeSubCommandAsync']);

interface Failure {
  cmd: Command;
  error: CommanderError;
  /** The command had an exit override of the application's own. */
  userExits: boolean;
}

interface Internals {
  _exitCallback: ((err: CommanderError) => void) | null;
  processedArgs: unknown[];
  rawArgs: string[];
}

function internals(cmd: Command): Internals {
  return cmd as unknown as Internals;
}

function isCommanderError(err: unknown): err is CommanderError {
  return err instanceof Error && typeof (err as CommanderError).code === 'string' && (err as CommanderError).code.startsWith('commander.') && typeof (err as CommanderError).exitCode === 'number';
}

function allCommands(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap((c) => allCommands(c as Command))];
}

/** The command's path below the program. */
export function commandPath(cmd: Command): string[] {
  const path: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) path.unshift(c.name());
  return path;
}

/** A command's declaration key: its path, or the program's name for the program itself. */
export function declarationKey(cmd: Command): string {
  const path = commandPath(cmd);
  return path.length > 0 ? path.join(' ') : cmd.name();
}

/**
 * The commands of `program` that can run (have an action) but have no declaration: EMQX's test suite
 * fails when a command lacks one, and so should yours.
 *
 * @example
 * assert.deepEqual(missingDeclarations(program, declarations), []);
 */
export function missingDeclarations(program: Command, commands: Readonly<Record<string, CommandDeclaration>>): string[] {
  return allCommands(program)
    .filter((c) => (c as unknown as { _actionHandler: unknown })._actionHandler !== null && (c as unknown as { _actionHandler: unknown })._actionHandler !== undefined)
    .map(declarationKey)
    .filter((key) => !Object.hasOwn(commands, key));
}

function sourceOf(s: string | undefined): ValueSource {
  return s === 'cli' || s === 'env' || s === 'default' || s === 'config' || s === 'implied' ? s : 'unknown';
}

function factsOf(program: Command, cmd: Command, unknownCommand: boolean): CommandFacts {
  const path = commandPath(cmd);
  if (unknownCommand) path.push(UNKNOWN_COMMAND);
  const registered = cmd.registeredArguments;
  const processed = internals(cmd).processedArgs ?? [];
  const seen = new Set<string>();
  const options: Array<{ name: string; value: unknown; source: ValueSource }> = [];
  // The command's own options first, then those of its parents (global options such as --as).
  for (let c: Command | null = cmd; c; c = c.parent) {
    for (const o of c.options) {
      const name = o.attributeName();
      if (seen.has(name)) continue;
      seen.add(name);
      options.push({ name, value: c.getOptionValue(name), source: sourceOf(c.getOptionValueSource(name)) });
    }
  }
  return {
    program: program.name() || 'program',
    path,
    arguments: unknownCommand ? [] : registered.map((a, i) => ({ name: a.name(), value: processed[i] })),
    options,
    extra: unknownCommand ? cmd.args : cmd.args.slice(registered.length),
    doubleDash: (internals(program).rawArgs ?? []).includes('--'),
  };
}

/** Audits every run of `program`'s commands. Call it once, after the commands are defined; returns `program`. */
export function auditCommander(program: Command, options: CommanderAuditOptions): Command {
  checkCommandLineOptions(options, 'auditCommander');
  const { auditor, commands } = options;
  const closeAuditor = options.closeAuditor !== false;
  let prepared = false;
  let run: CommandRun | undefined;
  let current: Command = program;
  // Set by an exit override: the first CommanderError of this parse, and where it happened.
  const seen: { failure: Failure | undefined } = { failure: undefined };

  const prepare = (): void => {
    if (prepared) return;
    prepared = true;
    for (const cmd of allCommands(program)) {
      const user = internals(cmd)._exitCallback;
      // Every parse error and help/version exit passes here first, naming the command it happened in.
      cmd.exitOverride((err) => {
        seen.failure ??= { cmd, error: err, userExits: user !== null };
        if (user) user(err);
        throw err;
      });
      if (cmd.commands.length > 0) cmd.hook('preSubcommand', (_parent, sub) => void (current = sub as Command));
      Object.defineProperty(cmd, 'audit', { configurable: true, get: () => run });
    }
  };

  const original = program.parseAsync.bind(program);

  const parseAsync = async (argv?: readonly string[], parseOptions?: { from: 'node' | 'electron' | 'user' }): Promise<Command> => {
    prepare();
    seen.failure = undefined;
    current = program;
    await auditor.ready();
    let unknown = false;
    run = auditor.command(
      () => factsOf(program, current, unknown),
      () => {
        if (unknown) return { safe: [] };
        const key = declarationKey(current);
        return Object.hasOwn(commands, key) ? commands[key] : undefined;
      },
      {
        from: options.from,
        assertedOperator: () => {
          if (options.operatorOption !== undefined) {
            for (let c: Command | null = current; c; c = c.parent) {
              const v = c.getOptionValue(options.operatorOption);
              if (typeof v === 'string') return v;
            }
          }
          return options.operatorEnv === undefined ? undefined : process.env[options.operatorEnv];
        },
      },
    );
    const thisRun = run;
    const end = async (): Promise<void> => {
      if (closeAuditor) await auditor.close();
    };
    try {
      await original(argv as string[] | undefined, parseOptions);
    } catch (err) {
      // Set by the exit override while parsing (TypeScript cannot see that through the await).
      const failure = seen.failure as Failure | undefined;
      const commanderError = failure?.error ?? (isCommanderError(err) ? err : undefined);
      if (commanderError === undefined) {
        await thisRun.finish({ exitCode: 1, error: err, how: 'threw' });
        await end();
        throw err;
      }
      if (NOT_RUNS.has(commanderError.code)) thisRun.discard();
      else {
        unknown = commanderError.code === 'commander.unknownCommand';
        if (failure) current = failure.cmd;
        await thisRun.finish({ exitCode: commanderError.exitCode === 0 ? 1 : commanderError.exitCode, error: commanderError, how: 'parse_error' });
      }
      await end();
      // Without an exit override of yours, commander would have ended the process here: so do we.
      if (failure?.userExits === true || err !== commanderError) throw err;
      process.exit(commanderError.exitCode);
    }
    await thisRun.finish({ exitCode: processExitCode(), how: 'returned' });
    await end();
    return program;
  };

  program.parseAsync = parseAsync as Command['parseAsync'];
  // parse() cannot wait for the record; it runs the same way and rethrows an error as commander would.
  program.parse = ((argv?: readonly string[], parseOptions?: { from: 'node' | 'electron' | 'user' }) => {
    parseAsync(argv, parseOptions).catch((err: unknown) => {
      process.nextTick(() => {
        throw err;
      });
    });
    return program;
  }) as Command['parse'];
  return program;
}
