import { applyMode, keyInfo, STRING_CUT, wellFormed, type RedactionRules } from '../redact/redact.js';

/** Longest attempted path a record keeps, in characters; longer ones are cut and marked. */
export const ATTEMPTED_PATH_MAX = 256;

/** A segment kept as it is: a word (letters, `-`, `_`, `.`, `~`; at most 32) or an API version (`v2`). */
const NAME_LIKE = /^(?:[A-Za-z][A-Za-z_.~-]{0,31}|v\d{1,3})$/;

/**
 * The path of a request no route matched (a 404, or a body the parser refused before routing), so an
 * auditor can tell what was attempted. Without a template auditkit cannot tell parameters from names,
 * so it keeps the path's shape and deny-by-default masks its values: a segment stays only when it is
 * a plain word (`/orgs/acme/users`), and not when a redaction keyword names it (`/reset-token/<x>`);
 * ids, numbers, tokens, e-mail addresses and anything encoded become the mask. The query string is
 * left out (query_string holds it, redacted), and the path is capped at ATTEMPTED_PATH_MAX characters.
 */
export function attemptedPath(rawPath: string, rules: RedactionRules): string {
  let path = rawPath;
  const cut = path.search(/[?#]/);
  if (cut !== -1) path = path.slice(0, cut);
  // Only as much as is kept is looked at: a hostile 1 MB path costs no more than a short one.
  const long = path.length > ATTEMPTED_PATH_MAX;
  if (long) path = path.slice(0, ATTEMPTED_PATH_MAX);
  const segments = path.split('/');
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment.length === 0) continue;
    const named = i > 0 && segments[i - 1]!.length > 0 && keyInfo(rules, segments[i - 1]!).mode !== undefined;
    if (named || !NAME_LIKE.test(segment)) {
      // A removed segment would make another path of it: masked whatever the rule's mode.
      segments[i] = applyMode(rules, 'mask', segment)!;
    }
  }
  // Short segments grow into the mask: the cap holds for what is written, too.
  const kept = wellFormed(segments.join('/'));
  if (kept.length > ATTEMPTED_PATH_MAX) return kept.slice(0, ATTEMPTED_PATH_MAX) + STRING_CUT;
  return long ? kept + STRING_CUT : kept;
}
