import type { IncomingHttpHeaders } from 'node:http';
import { applyMode, jsonString as quote, orderedKeys, type RedactionRules } from '../redact/redact.js';

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
  const { keys, infos } = orderedKeys(headers, rules);
  let out = '{';
  let first = true;
  for (let i = 0; i < keys.length; i++) {
    const name = keys[i]!;
    const value = headers[name];
    if (value === undefined) continue;
    const info = infos[i]!;
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
    out += (first ? '' : ',') + info.prefix + text;
    first = false;
  }
  return out + '}';
}

function headerList(values: readonly unknown[]): string {
  let out = '[';
  for (let i = 0; i < values.length; i++) out += (i === 0 ? '' : ',') + quote(String(values[i]));
  return out + ']';
}
