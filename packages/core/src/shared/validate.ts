import { AuditConfigError } from './errors.js';

/**
 * Small helpers that check one option each and throw an error naming the option and the fix. Used
 * once, at construction; nothing here runs per request.
 */

export type Obj = Record<string, unknown>;

export function fail(option: string, problem: string, fix: string, cause?: unknown): never {
  throw new AuditConfigError('AUDITKIT_INVALID_OPTION', option, problem, fix, cause);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

export function isPlainObject(value: unknown): value is Obj {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function objectAt(value: unknown, option: string): Obj | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) fail(option, `must be an object, got ${describe(value)}`, `pass an object literal such as { ... }`);
  return value;
}

function distance(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      dp[i]![j] = Math.min(dp[i - 1]![j]! + 1, dp[i]![j - 1]! + 1, dp[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return dp[a.length]![b.length]!;
}

/** Rejects keys that are not options, suggesting the one that was probably meant. */
export function onlyKeys(obj: Obj, allowed: readonly string[], prefix: string): void {
  for (const key of Object.keys(obj)) {
    if (allowed.includes(key)) continue;
    const option = prefix ? `${prefix}.${key}` : key;
    const close = allowed.find((a) => a.toLowerCase() === key.toLowerCase() || distance(a.toLowerCase(), key.toLowerCase()) <= 2);
    const where = prefix ? `options.${prefix}` : 'options';
    throw new AuditConfigError(
      'AUDITKIT_UNKNOWN_OPTION',
      option,
      'is not an auditkit option',
      close ? `did you mean ${prefix ? prefix + '.' : ''}${close}?` : `remove it; ${where} accepts ${allowed.join(', ')}`,
    );
  }
}

export function booleanAt(value: unknown, option: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(option, `must be true or false, got ${describe(value)}`, `set it to true or false`);
  return value;
}

export function integerAt(value: unknown, option: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(option, `must be a whole number from ${min} to ${max}, got ${describe(value)}`, `use a number such as ${fallback}`);
  }
  return value;
}

export function stringAt(value: unknown, option: string, fallback: string, example: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0) fail(option, `must be a non-empty string, got ${describe(value)}`, `use a string such as ${JSON.stringify(example)}`);
  return value;
}

export function functionAt<F>(value: unknown, option: string, signature: string): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') fail(option, `must be a function, got ${describe(value)}`, `pass ${signature}`);
  return value as F;
}

export function stringListAt(value: unknown, option: string, fallback: readonly string[], example: string): string[] {
  if (value === undefined) return [...fallback];
  if (!Array.isArray(value)) fail(option, `must be an array of strings, got ${describe(value)}`, `use an array such as ${example}`);
  value.forEach((item, i) => {
    if (typeof item !== 'string' || item.length === 0) {
      fail(`${option}[${i}]`, `must be a non-empty string, got ${describe(item)}`, `use an array such as ${example}`);
    }
  });
  return [...(value as string[])];
}
