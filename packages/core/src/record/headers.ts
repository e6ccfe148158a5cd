import type { IncomingHttpHeaders } from 'node:http';
import { applyMode, jsonString as quote, keyWords, orderedKeys, scrubbed, type RedactionRules, type RedactMode } from '../redact/redact.js';

/**
 * Request headers as recorded: every header kept (as EMQX does), the listed ones masked, any header
 * whose name matches a redaction keyword treated by that keyword's rule, any header with a whole word
 * of DEFAULT_HEADER_WORDS in its name (`x-acme-session`, `x-twilio-signature`) masked, and every
 * value kept passed through the value detectors (a JWT in `x-amzn-oidc-data`, a reset token in
 * `Referer`). Written straight to canonical JSON text, names in sorted order.
 */

export { DEFAULT_MASKED_HEADERS } from '../redact/names.js';

const headerWordCache = new WeakMap<RedactionRules, Map<string, RedactMode | null>>();

/** The mode a header name's words give it, if any. Cached per rules: the same few names recur. */
function headerWordMode(rules: RedactionRules, name: string): RedactMode | undefined {
  if (rules.headerWords === undefined || rules.headerWords.size === 0) return undefined;
  let cache = headerWordCache.get(rules);
  if (cache === undefined) headerWordCache.set(rules, (cache = new Map()));
  const cached = cache.get(name);
  if (cached !== undefined) return cached ?? undefined;
  const mode = keyWords(name).some((w) => rules.headerWords!.has(w)) ? (rules.defaultMode ?? 'mask') : undefined;
  if (cache.size >= 1024) cache.clear();
  cache.set(name, mode ?? null);
  return mode;
}

export function recordHeaders(headers: IncomingHttpHeaders, masked: ReadonlySet<string>, rules: RedactionRules, maskJson: string): string {
  const { keys, infos } = orderedKeys(headers, rules);
  let out = '{';
  let first = true;
  for (let i = 0; i < keys.length; i++) {
    const name = keys[i]!;
    const value = headers[name];
    if (value === undefined) continue;
    const info = infos[i]!;
    const mode = info.mode ?? headerWordMode(rules, name);
    let text: string;
    if (masked.has(name)) {
      text = maskJson;
    } else if (mode === undefined) {
      text = typeof value === 'string' ? quote(scrubbed(rules, value)) : Array.isArray(value) ? headerList(value, rules) : quote(scrubbed(rules, String(value)));
    } else if (mode === 'remove') {
      continue;
    } else {
      text = JSON.stringify(applyMode(rules, mode, Array.isArray(value) ? value.join(', ') : value)!);
    }
    out += (first ? info.prefix : info.member) + text;
    first = false;
  }
  return out + '}';
}

function headerList(values: readonly unknown[], rules: RedactionRules): string {
  let out = '[';
  for (let i = 0; i < values.length; i++) out += (i === 0 ? '' : ',') + quote(scrubbed(rules, String(values[i])));
  return out + ']';
}
