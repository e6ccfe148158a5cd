import { Auditor } from '../auditor.js';
import type { CommandDeclaration } from '../events/command-args.js';
import { fail, isPlainObject, onlyKeys } from '../shared/validate.js';

/**
 * The options every command-line integration (commander, yargs) shares, checked once when the
 * integration is set up: an AuditConfigError names the option and the fix.
 */

export interface CommandLineOptions {
  auditor: Auditor;
  /** Every command that runs, by its path (`'users delete'`), with the names whose values may be recorded in clear. */
  commands: Readonly<Record<string, CommandDeclaration>>;
  /** An option by which the operator names themself (`as` for `--as <name>`): recorded as asserted. */
  operatorOption?: string;
  /** An environment variable by which the operator names themself: recorded as asserted. */
  operatorEnv?: string;
  /** Close the auditor once the command has run (a command line ends after it). Default true. */
  closeAuditor?: boolean;
  /** The record's `from`. Default `cli`. */
  from?: string;
}

const SHARED = ['auditor', 'commands', 'operatorOption', 'operatorEnv', 'closeAuditor', 'from'] as const;

export function checkCommandLineOptions(options: unknown, integration: string, extra: readonly string[] = []): asserts options is CommandLineOptions {
  if (!isPlainObject(options)) fail('(root)', `${integration} needs { auditor, commands }`, `pass ${integration}(cli, { auditor, commands: { ... } })`);
  onlyKeys(options, [...SHARED, ...extra], '');
  if (!(options.auditor instanceof Auditor)) fail('auditor', 'must be an Auditor', 'pass createAuditor({ file: ... })');
  if (!isPlainObject(options.commands)) fail('commands', 'must be an object of declarations by command path', "use { 'users delete': { safe: ['id'] } }");
  for (const [key, d] of Object.entries(options.commands)) {
    if (!isPlainObject(d)) fail(`commands.${key}`, 'must be a declaration object', "use { safe: ['id'] }, or { safe: [] } to reveal nothing");
    onlyKeys(d, ['safe'], `commands.${key}`);
    if (d.safe !== undefined && (!Array.isArray(d.safe) || d.safe.some((n: unknown) => typeof n !== 'string' || n.length === 0))) {
      fail(`commands.${key}.safe`, 'must be an array of argument and option names', "use ['id', 'format']");
    }
  }
  for (const k of ['operatorOption', 'operatorEnv', 'from', ...extra]) {
    const v = options[k];
    if (v !== undefined && (typeof v !== 'string' || v.length === 0)) fail(k, 'must be a non-empty string', k === 'from' ? 'use "cli"' : 'give a name, e.g. "as" or "ACME_OPERATOR"');
  }
  if (options.closeAuditor !== undefined && typeof options.closeAuditor !== 'boolean') fail('closeAuditor', 'must be true or false', 'leave it out to close the auditor after the command');
}
