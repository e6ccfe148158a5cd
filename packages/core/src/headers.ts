import type { IncomingHttpHeaders } from 'node:http';
import { applyMode, jsonString as quote, keyInfo, type RedactionRules } from './redact.js';

/**
 * Request headers as recorded: every header kept (as EMQX does), the listed ones masked, and any
 * header whose name matches a redaction keyword treated by that keyword's rule. Written straight to
 * canonical JSON text, names in sorted order.
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

export function recordHeaders(headers: IncomingHttpHeaders, masked: ReadonlySet<string>, rules: RedactionRules, maskJson: string): string {
  const names = Object.keys(headers);
  if (names.length > 1) names.sort();
  let out = '{';
  let previous: string | undefined;
  for (const name of names) {
    const value = headers[name];
    if (value === undefined) continue;
    const info = keyInfo(rules, name);
    // Two names that differ only in a lone surrogate are written alike; keep the first.
    if (info.wellFormed === previous) continue;
    let text: string;
    if (masked.has(name)) {
      text = maskJson;
    } else if (info.mode === undefined) {
      text = typeof value === 'string' ? quote(value) : Array.isArray(value) ? headerList(value) : quote(String(value));
    } else if (info.mode === 'remove') {
      continue;
    } else {
      text = JSON.stringify(applyMode(rules, info.mode, Array.isArray(value) ? value.join(', ') : value)!);
    }
    out += (previous === undefined ? '' : ',') + info.prefix + text;
    previous = info.wellFormed;
  }
  return out + '}';
}

function headerList(values: readonly unknown[]): string {
  let out = '[';
  for (let i = 0; i < values.length; i++) out += (i === 0 ? '' : ',') + quote(String(values[i]));
  return out + ']';
}
