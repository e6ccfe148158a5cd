import {
  checkCommandLineOptions,
  failOption,
  isPlainObject,
  processExitCode,
  type CommandLineOptions,
  type CommandAudit,
  type CommandDeclaration,
  type CommandFacts,
  type CommandRun,
  type ValueSource,
} from '@auditkit/core';

/**
 * auditkit for yargs 17 and 18. Translates a yargs command, as yargs parsed it, into the core's
 * command facts; every decision is the core's (command-run.ts).
 *
 * yargs has no hook after a handler, and a synchronous throw in a handler bypasses `.fail()`, so each
 * command's handler is wrapped where it is registered (`.command()` on this instance, nested builders
 * included), and yargs' own failure path is wrapped, not replaced, so its output and exit stay as
 * they were. Commands loaded with `.commandDir()` bypass `.command()` and are not audited.
 *
 * @example
 * const cli = auditYargs(yargs(hideBin(process.argv)), { auditor, commands: { 'users delete': { safe: ['id'] } } });
 * cli.command('users', 'manage users', (y) => y.command('delete <id>', 'delete a user', {}, deleteUser));
 * await cli.parseAsync();
 */

export type { CommandAudit, CommandDeclaration } from '@auditkit/core';

/** The part of a yargs instance this integration uses (yargs ships no types; @types/yargs describes 17). */
export interface YargsLike {
  command(...args: unknown[]): YargsLike;
  parse(...args: unknown[]): unknown;
  getOptions(): YargsOptions;
  getInternalMethods(): {
    getContext(): { commands: string[] };
    getUsageInstance(): { fail(msg: unknown, err?: unknown): unknown };
  };
  parsed?: { argv?: Record<string, unknown> } | false;
  $0?: string;
}

interface YargsOptions {
  key?: Record<string, unknown>;
  boolean?: string[];
  alias?: Record<string, string[]>;
  envPrefix?: string;
}

/** `commands` by path (`'users delete'`; `$0` for the default command); `closeAuditor` applies to `parseAsync()`. */
export interface YargsAuditOptions extends CommandLineOptions {
  /** The program's name in records. Default: yargs' `$0`. */
  program?: string;
}

const runs = new WeakMap<object, CommandRun>();

/** What `.command()` was given, per audited instance: the test helper walks it. */
interface Registered {
  path: string[];
  builder: unknown;
  runs: boolean;
}
const registries = new WeakMap<object, Registered[]>();

/** The path, positionals, builder and handler of a `.command()` call, in any of its forms. */
function registration(args: unknown[], parent: string[]): (Registered & { positionals: Array<{ name: string }>; handler: unknown; module: boolean }) | undefined {
  const first = args[0];
  let spec: string;
  let builder: unknown;
  let handler: unknown;
  let module = false;
  if (isPlainObject(first) && (typeof first.command === 'string' || Array.isArray(first.command))) {
    spec = Array.isArray(first.command) ? String(first.command[0]) : (first.command as string);
    builder = first.builder;
    handler = first.handler;
    module = true;
  } else if (typeof first === 'string' || Array.isArray(first)) {
    spec = Array.isArray(first) ? String(first[0]) : first;
    builder = args[2];
    handler = args[3];
  } else return undefined;
  const { name, positionals } = parseCommandString(spec);
  const path = name === '*' || name === '$0' ? parent : [...parent, name];
  return { path, positionals, builder, handler, runs: typeof handler === 'function', module };
}

/** Stands in for yargs while a builder runs for the test helper: records `.command()` calls, ignores the rest. */
function recorder(parent: string[], out: Registered[]): unknown {
  const proxy: unknown = new Proxy(function stub() {}, {
    get(_target, prop) {
      if (prop === 'command') {
        return (...args: unknown[]) => {
          const r = registration(args, parent);
          if (r) out.push({ path: r.path, builder: r.builder, runs: r.runs });
          return proxy;
        };
      }
      if (prop === 'then') return undefined;
      return () => proxy;
    },
  });
  return proxy;
}

/**
 * The commands of an audited yargs instance that can run (have a handler) but have no declaration,
 * nested ones included (their builders are run against a stand-in that records `.command()`). EMQX's
 * test suite fails when a command lacks one, and so should yours.
 *
 * @example
 * assert.deepEqual(missingDeclarations(cli, declarations), []);
 */
export function missingDeclarations(instance: object, commands: Readonly<Record<string, CommandDeclaration>>): string[] {
  const registry = registries.get(instance);
  if (registry === undefined) throw new TypeError('missingDeclarations() needs the instance auditYargs() returned, with its commands defined');
  const missing: string[] = [];
  const visit = (entries: Registered[]): void => {
    for (const e of entries) {
      const key = e.path.length > 0 ? e.path.join(' ') : '$0';
      if (e.runs && !Object.hasOwn(commands, key) && !missing.includes(key)) missing.push(key);
      if (typeof e.builder === 'function') {
        const nested: Registered[] = [];
        try {
          (e.builder as (y: unknown) => unknown)(recorder(e.path, nested));
        } catch {
          // A builder that needs the real yargs: its nested commands are found at run time instead.
        }
        visit(nested);
      }
    }
  };
  visit(registry);
  return missing;
}

/** The audit handle of the command run `argv` belongs to: meta, a target, what changed, events. */
export function commandAudit(argv: object): CommandAudit | undefined {
  return runs.get(argv);
}

/** `delete <id> [reason..]` → `delete` and its positionals. */
function parseCommandString(cmd: string): { name: string; positionals: Array<{ name: string; variadic: boolean }> } {
  const tokens = cmd.trim().split(/\s+/);
  const name = tokens[0] ?? '';
  const positionals = tokens.slice(1).flatMap((t) => {
    const m = /^[<[]([^>\]|.]+)(?:\|[^>\]]*)?(\.\.)?[>\]]$/.exec(t);
    return m ? [{ name: m[1]!, variadic: m[2] !== undefined }] : [];
  });
  return { name, positionals };
}

const camel = (s: string): string => s.replace(/-+([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const constantCase = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/-/g, '_').toUpperCase();

/**
 * Audits every command run of a yargs instance. Call it before defining the commands (it wraps
 * `.command()`); use `parseAsync()` so the record is written before the promise resolves.
 */
export function auditYargs<Y extends object>(instance: Y, options: YargsAuditOptions): Y {
  checkCommandLineOptions(options, 'auditYargs', ['program']);
  const y = instance as unknown as YargsLike;
  if (typeof y.command !== 'function' || typeof y.getInternalMethods !== 'function') failOption('(instance)', 'is not a yargs instance', 'pass yargs(hideBin(process.argv))');
  const { auditor, commands } = options;
  const stack: string[][] = [];
  let parseArgs: readonly string[] | undefined;
  let active: CommandRun | undefined;
  let delivered: Promise<boolean> | undefined;

  const program = (): string => options.program ?? (typeof y.$0 === 'string' && y.$0.length > 0 ? y.$0.split('/').at(-1)! : 'program');
  const declarationOf = (path: readonly string[]): CommandDeclaration | undefined => {
    const key = path.length > 0 ? path.join(' ') : '$0';
    return Object.hasOwn(commands, key) ? commands[key] : undefined;
  };
  const asserted = (argv: Record<string, unknown> | undefined) => (): string | undefined => {
    const v = options.operatorOption !== undefined ? argv?.[options.operatorOption] : undefined;
    if (typeof v === 'string') return v;
    return options.operatorEnv === undefined ? undefined : process.env[options.operatorEnv];
  };

  const factsOf = (path: string[], positionals: Array<{ name: string }>, argv: Record<string, unknown>): CommandFacts => {
    const o = y.getOptions();
    const aliases = new Set(Object.values(o.alias ?? {}).flat());
    const positional = new Set(positionals.flatMap((p) => [p.name, camel(p.name)]));
    const envPrefix = o.envPrefix;
    const fromEnv = (key: string): boolean => envPrefix !== undefined && process.env[(envPrefix ? `${envPrefix}_` : '') + constantCase(key)] !== undefined;
    const opts: Array<{ name: string; value: unknown; source: ValueSource }> = [];
    const seen = new Set<string>();
    for (const key of Object.keys(o.key ?? {})) {
      // yargs keeps `api-token` and `apiToken` both; an alias (`p`) is the same value again.
      const name = camel(key);
      if (key === 'help' || key === 'version' || positional.has(name) || aliases.has(key) || seen.has(name)) continue;
      seen.add(name);
      opts.push({ name, value: argv[name] ?? argv[key], source: fromEnv(name) ? 'env' : 'unknown' });
    }
    // argv._ still starts with the command's own path.
    const rest = Array.isArray(argv._) ? (argv._ as unknown[]).slice() : [];
    for (const step of path) {
      if (rest[0] !== step) break;
      rest.shift();
    }
    const dashed = Array.isArray(argv['--']) ? (argv['--'] as unknown[]) : [];
    return {
      program: program(),
      path,
      arguments: positionals.map((p) => ({ name: p.name, value: argv[p.name] })),
      options: opts,
      extra: [...rest, ...dashed],
      doubleDash: (parseArgs ?? process.argv.slice(2)).includes('--'),
    };
  };

  const wrapHandler = (path: string[], positionals: Array<{ name: string }>, handler: (argv: Record<string, unknown>) => unknown) =>
    function audited(argv: Record<string, unknown>): unknown {
      const facts = factsOf(path, positionals, argv);
      const run = auditor.command(facts, declarationOf(path), { from: options.from, assertedOperator: asserted(argv) });
      active = run;
      runs.set(argv, run);
      let result: unknown;
      try {
        result = handler(argv);
      } catch (err) {
        // A synchronous throw leaves through the caller, past .fail(): the record is queued now and
        // written as the process ends if nothing waits for it.
        delivered = run.finish({ exitCode: 1, error: err, how: 'threw' });
        throw err;
      }
      if (result instanceof Promise) {
        return result.then(
          (value: unknown) => {
            delivered = run.finish({ exitCode: processExitCode(), how: 'returned' });
            return delivered.then(() => value);
          },
          (err: unknown) => {
            delivered = run.finish({ exitCode: 1, error: err, how: 'threw' });
            return delivered.then(() => Promise.reject(err));
          },
        );
      }
      delivered = run.finish({ exitCode: processExitCode(), how: 'returned' });
      return result;
    };

  const wrapBuilder = (path: string[], builder: unknown): unknown => {
    if (typeof builder === 'function') {
      return function auditedBuilder(this: unknown, inner: unknown, ...rest: unknown[]): unknown {
        stack.push(path);
        try {
          return (builder as (...a: unknown[]) => unknown).call(this, inner, ...rest);
        } finally {
          stack.pop();
        }
      };
    }
    return builder;
  };

  const originalCommand = y.command.bind(y);
  const registry: Registered[] = [];
  registries.set(instance, registry);
  y.command = function command(...args: unknown[]): YargsLike {
    const parent = stack.at(-1) ?? [];
    const r = registration(args, parent);
    if (r === undefined) return originalCommand(...args);
    // Nested commands are registered again each time their parent's builder runs: keep the first.
    if (parent.length === 0) registry.push({ path: r.path, builder: r.builder, runs: r.runs });
    const handler = typeof r.handler === 'function' ? wrapHandler(r.path, r.positionals, r.handler as (a: Record<string, unknown>) => unknown) : r.handler;
    if (r.module) return originalCommand({ ...(args[0] as object), builder: wrapBuilder(r.path, r.builder), handler }, ...args.slice(1));
    const [cmd, description, , , ...rest] = args;
    return originalCommand(cmd, description, wrapBuilder(r.path, r.builder), handler, ...rest);
  } as YargsLike['command'];

  // Validation failures (unknown arguments under strict, a missing positional, demandCommand) end in
  // yargs' fail(): record them there, then let yargs print and exit as it would have.
  const usage = y.getInternalMethods().getUsageInstance();
  const originalFail = usage.fail.bind(usage);
  usage.fail = function fail(msg: unknown, err?: unknown): unknown {
    if (active === undefined) {
      const path = [...y.getInternalMethods().getContext().commands].map((c) => parseCommandString(c).name);
      const argv = (y.parsed && y.parsed.argv) || {};
      const run = auditor.command(factsOf(path, [], argv), { safe: [] }, { from: options.from, assertedOperator: asserted(argv) });
      active = run;
      delivered = run.finish({ exitCode: 1, error: err ?? { code: 'yargs.validation' }, how: 'parse_error' });
    }
    return originalFail(msg, err);
  };

  const originalParse = y.parse.bind(y);
  y.parse = function parse(...args: unknown[]): unknown {
    parseArgs = Array.isArray(args[0]) ? (args[0] as string[]) : typeof args[0] === 'string' ? args[0].split(/\s+/) : undefined;
    active = undefined;
    delivered = undefined;
    return originalParse(...args);
  };
  const parseAsync = (instance as unknown as { parseAsync?: (...a: unknown[]) => Promise<unknown> }).parseAsync;
  if (typeof parseAsync === 'function') {
    (instance as unknown as { parseAsync: (...a: unknown[]) => Promise<unknown> }).parseAsync = async function audited(...args: unknown[]): Promise<unknown> {
      await auditor.ready();
      try {
        return await parseAsync.apply(instance, args);
      } finally {
        await delivered;
        if (options.closeAuditor !== false) await auditor.close();
      }
    };
  }
  return instance;
}
