import { badParameter } from '../http/errors.js';
import type { QueryInput } from '../http/types.js';

/**
 * Reads the query string once into name → value, refusing what the endpoint does not accept: an
 * unknown name is nearly always a typo (`soruce=alice`), and silently ignoring it would answer a
 * different question than the one asked. A name given twice is refused too (use a comma list). An
 * empty value counts as absent, as an HTML form sends its blank fields.
 */
export function readQuery(input: QueryInput, accepted: readonly string[]): Map<string, string> {
  const params = new Map<string, string>();
  const add = (name: string, value: string): void => {
    if (!accepted.includes(name)) {
      throw badParameter(printable(name), 'unknown parameter', accepted.join(', '));
    }
    if (params.has(name)) throw badParameter(name, 'given more than once', 'one value, or a comma list for several (source=alice,bob)');
    if (value.length > 0) params.set(name, value);
  };
  if (typeof input === 'string' || input instanceof URLSearchParams) {
    const search = typeof input === 'string' ? new URLSearchParams(input.startsWith('?') ? input.slice(1) : input) : input;
    const seen = new Set<string>();
    for (const [name, value] of search) {
      if (seen.has(name)) throw badParameter(printable(name), 'given more than once', 'one value, or a comma list for several (source=alice,bob)');
      seen.add(name);
      add(name, value);
    }
    return params;
  }
  for (const name of Object.keys(input)) {
    const value = input[name];
    if (value === undefined) continue;
    if (typeof value === 'string') add(name, value);
    else if (value.length === 1) add(name, value[0]!);
    else if (value.length > 1) throw badParameter(printable(name), 'given more than once', 'one value, or a comma list for several (source=alice,bob)');
  }
  return params;
}

/** A parameter name as it may appear in an error: short, and without control characters. */
function printable(name: string): string {
  const clean = name.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 64 ? clean.slice(0, 64) + '…' : clean;
}
