import type { IncomingHttpHeaders } from 'node:http';
import { compareKeys, isArrayIndex } from './canonical.js';
import { applyMode, keywordModeOf, setOwn, type RedactionRules } from './redact.js';

/**
 * Request headers as recorded: every header kept (as EMQX does), the listed ones masked, and any
 * header whose name matches a redaction keyword treated by that keyword's rule.
 */

export const DEFAULT_MASKED_HEADERS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
  'x-auth-token',
];

export function recordHeaders(
  headers: IncomingHttpHeaders,
  masked: ReadonlySet<string>,
  rules: RedactionRules,
): { headers: { [name: string]: string | string[] }; sorted: boolean } {
  const out: { [name: string]: string | string[] } = {};
  let sorted = true;
  // Canonical key order, as in redaction: the record serialises as canonical JSON.
  for (const name of Object.keys(headers).sort(compareKeys)) {
    if (isArrayIndex(name)) sorted = false;
    const value = headers[name];
    if (value === undefined) continue;
    if (masked.has(name)) {
      setOwn(out, name, rules.mask);
      continue;
    }
    const mode = keywordModeOf(rules, name);
    if (mode === undefined) {
      setOwn(out, name, value);
    } else if (mode !== 'remove') {
      setOwn(out, name, applyMode(rules, mode, Array.isArray(value) ? value.join(', ') : value)!);
    }
  }
  return { headers: out, sorted };
}
