import { canonicalJson } from '../shared/canonical.js';
import { jsonPatch } from './json-patch.js';
import { redactJson, TRUNCATED_KEY, type RedactionRules } from '../redact/redact.js';

/**
 * "What changed" (Mattermost's prior and resulting state): a record's `change` object holds the state
 * before and after, both redacted by the same rules as everything else (keywords at any depth, path
 * rules under `state.`) and capped like meta, plus the difference as an RFC 6902 JSON Patch.
 *
 * The patch is computed from the redacted states, never from the raw ones: a masked value is the
 * mask on both sides, so a secret cannot leak through an operation's `value`. The cost of that rule
 * is that a changed secret under `mask` shows no operation at all; give such a key `mode: 'hmac'`
 * and its change shows as one HMAC replacing another. The diff runs on the states redacted within
 * the record's whole size limit, so a cap on the recorded copies does not turn into false removals.
 */

export interface ChangeInput {
  /** The state before; leave it out (or `null`) for something created. */
  before?: unknown;
  /** The state after; leave it out (or `null`) for something deleted. */
  after?: unknown;
}

export interface RecordedChange {
  /** `{"after":…,"before":…,"patch":[…]}` as canonical JSON. */
  json: string;
  /** The same with both states left out, for a record over `limits.recordBytes`. */
  shrunk: string;
  truncated: boolean;
}

export function isChangeInput(value: unknown): value is ChangeInput {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && ('before' in value || 'after' in value);
}

/**
 * What a change reads of the resolved options. Declared here, not taken from record/options.ts: the
 * record stage sits above this one (its settings satisfy this shape).
 */
export interface ChangeSettings {
  readonly redaction: RedactionRules;
  readonly limits: { readonly metaBytes: number; readonly recordBytes: number };
}

export function recordChange(opts: ChangeSettings, change: ChangeInput): RecordedChange {
  const rules = opts.redaction;
  const cap = opts.limits.metaBytes;
  const whole = opts.limits.recordBytes;
  const full = (v: unknown) => redactJson(rules, 'state', v ?? null, whole);
  const beforeFull = full(change.before);
  const afterFull = full(change.after);
  const beforeJson = beforeFull.json ?? 'null';
  const afterJson = afterFull.json ?? 'null';

  const ops = jsonPatch(JSON.parse(beforeJson), JSON.parse(afterJson));
  const patch = cappedPatch(ops.map((op) => canonicalJson(op)), cap);

  // Recorded copies within the meta budget: re-walked only when the whole state is over it.
  const capped = (text: string, v: unknown): { json: string; truncated: boolean } => {
    if (text.length <= cap) return { json: text, truncated: false };
    const r = redactJson(rules, 'state', v ?? null, cap);
    return { json: r.json ?? 'null', truncated: r.truncated };
  };
  const before = capped(beforeJson, change.before);
  const after = capped(afterJson, change.after);
  const shrunkPatch = patch.json.length * 4 <= whole ? patch.json : `[{"${TRUNCATED_KEY}":${ops.length}}]`;
  return {
    json: `{"after":${after.json},"before":${before.json},"patch":${patch.json}}`,
    shrunk: `{"after":null,"before":null,"patch":${shrunkPatch}}`,
    truncated: beforeFull.truncated || afterFull.truncated || before.truncated || after.truncated || patch.truncated,
  };
}

/** Whole operations up to the budget, then `{"$truncated": n}` as every capped array in a record ends. */
function cappedPatch(ops: string[], budget: number): { json: string; truncated: boolean } {
  let out = '[';
  let used = 2;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (used + op.length + 1 > budget) {
      return { json: `${out}${i === 0 ? '' : ','}{"${TRUNCATED_KEY}":${ops.length - i}}]`, truncated: true };
    }
    out += (i === 0 ? '' : ',') + op;
    used += op.length + 1;
  }
  return { json: out + ']', truncated: false };
}
