import { canonicalJson } from '../shared/canonical.js';
import { keyInfo, redactJson, type RedactionRules } from '../redact/redact.js';

/**
 * A command's arguments as its record holds them, decided on the parsed structure the CLI framework
 * produced (never by splitting argv again: `--pw=x`, `-px` and `--pw x` all arrive as one value).
 *
 * Deny by default, as EMQX: every positional and option value is the mask unless the command
 * declares it safe. Option names are kept, and so are boolean flags (a flag's presence is what the
 * command did, and holds no secret). Even a value declared safe stays masked when:
 * - it came from the environment (a variable is how secrets reach CLIs in CI),
 * - `--` appeared on the command line (what follows it is passed through unread; positional values
 *   cannot be told apart from it, so all of them stay masked),
 * - its name matches a redaction keyword (`password`, `token`, ... and the app's own).
 * Operands beyond the declared arguments are always masked.
 */

export type ValueSource = 'cli' | 'env' | 'default' | 'config' | 'implied' | 'unknown';

export interface CommandFacts {
  /** The program's name (`acme-admin`). */
  program: string;
  /** The command's path below the program: `['users', 'delete']`; empty for a program with no subcommands. */
  path: readonly string[];
  /** Declared positional arguments in order, with their parsed values (a variadic one holds an array). */
  arguments?: ReadonlyArray<{ name: string; value: unknown }>;
  /** Options with their parsed values and where each value came from. */
  options?: ReadonlyArray<{ name: string; value: unknown; source: ValueSource }>;
  /** Operands beyond the declared arguments. */
  extra?: readonly unknown[];
  /** `--` was on the command line. */
  doubleDash?: boolean;
}

/** What a command declares about its own arguments. Every command needs one, even if it reveals nothing. */
export interface CommandDeclaration {
  /** Argument and option names whose values may be recorded in clear (`['id', 'format']`). */
  safe?: readonly string[];
}

export interface MaskedArguments {
  /** `{ name: value }` of the positional arguments. */
  args: string;
  /** `{ name: value }` of the options that have a value. */
  options: string;
  /** The extra operands, masked. */
  extra: string;
  truncated: boolean;
}

const VALUE_BUDGET = 1024;

export function maskArguments(rules: RedactionRules, facts: CommandFacts, declaration: CommandDeclaration | undefined): MaskedArguments {
  const safe = new Set(declaration?.safe ?? []);
  const mask = (v: unknown): unknown => (Array.isArray(v) ? v.map(() => rules.mask) : rules.mask);
  let truncated = false;
  const clear = (name: string, value: unknown): unknown => {
    const r = redactJson(rules, 'args', { [name]: value }, VALUE_BUDGET);
    truncated ||= r.truncated;
    const parsed = JSON.parse(r.json ?? '{}') as Record<string, unknown>;
    return Object.hasOwn(parsed, name) ? parsed[name] : undefined;
  };
  const isSecretName = (name: string): boolean => keyInfo(rules, name).mode !== undefined;

  const args: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const { name, value } of facts.arguments ?? []) {
    if (value === undefined) continue;
    const reveal = safe.has(name) && facts.doubleDash !== true && !isSecretName(name);
    args[name] = reveal ? clear(name, value) : mask(value);
  }
  const options: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const { name, value, source } of facts.options ?? []) {
    if (value === undefined) continue;
    if (typeof value === 'boolean') {
      options[name] = value;
      continue;
    }
    const reveal = safe.has(name) && source !== 'env' && !isSecretName(name);
    options[name] = reveal ? clear(name, value) : mask(value);
  }
  return {
    args: canonicalJson(args),
    options: canonicalJson(options),
    extra: canonicalJson((facts.extra ?? []).map(() => rules.mask)),
    truncated,
  };
}
