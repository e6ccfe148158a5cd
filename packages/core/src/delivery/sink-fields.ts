import { AuditEntry } from '../record/entry.js';
import { RECORD_FIELD_NAMES } from '../model/record.js';
import { redactJson, type RedactionRules, type RedactRoot } from '../redact/redact.js';
import { compareKeys } from '../shared/canonical.js';
import { describe, fail, isPlainObject } from '../shared/validate.js';

/**
 * Static fields one sink adds to every record it writes (Mattermost's user-defined fields for a
 * syslog target): `{ environment: 'prod', cluster: 'eu-1' }`. They sit at the top level of the
 * record, in canonical order, so the line stays canonical JSON, and a tamper-evident file chains the
 * line it writes, fields included. Names that a record can carry are refused, and the values pass
 * through redaction's keyword rules like everything else that reaches a sink.
 */

export type SinkFieldValue = string | number | boolean;

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const MAX_VALUE_CHARS = 1024;
/** Not a root of the record: only keyword rules (and whatever redaction detects in values) apply. */
const FIELDS_ROOT = 'fields' as RedactRoot;

export class SinkFields {
  /** Field names, sorted, for the configuration summary (values are not summarised: they may be secret). */
  readonly names: readonly string[];
  /** `"name":value` per field, sorted by name. */
  readonly #members: ReadonlyArray<readonly [name: string, text: string]>;

  constructor(members: Array<readonly [string, string]>) {
    this.#members = members.sort((a, b) => compareKeys(a[0], b[0]));
    this.names = Object.freeze(this.#members.map(([n]) => n));
  }

  /** The entry with this sink's fields added at their place among the record's top-level keys. */
  apply(entry: AuditEntry): AuditEntry {
    return new AuditEntry(insertMembers(entry.line, this.#members), entry.head);
  }
}

/** Validates `sinks[i].fields` once; `undefined` when there are none. */
export function compileFields(value: unknown, option: string, rules: RedactionRules): SinkFields | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) fail(option, `must be an object of names and values, got ${describe(value)}`, "use { environment: 'prod', cluster: 'eu-1' }");
  const names = Object.keys(value);
  if (names.length === 0) fail(option, 'is empty', 'add a field, e.g. { environment: "prod" }, or leave fields out');
  const plain: Record<string, SinkFieldValue> = {};
  for (const name of names) {
    const at = `${option}.${name}`;
    if (!NAME.test(name)) fail(at, 'is not a field name: use a letter, then letters, digits or _ (at most 64)', 'rename it, e.g. "cluster_id"');
    if (RECORD_FIELD_NAMES.has(name)) fail(at, `would overwrite the record's own "${name}" field`, `rename it, e.g. "${name}_label" or "sink_${name}"`);
    const v = value[name];
    const ok = (typeof v === 'string' && v.length <= MAX_VALUE_CHARS) || (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean';
    if (!ok) fail(at, `must be a string (at most ${MAX_VALUE_CHARS} characters), a finite number or a boolean, got ${describe(v)}`, 'give a static value such as "prod"');
    plain[name] = v as SinkFieldValue;
  }
  const { json } = redactJson(rules, FIELDS_ROOT, plain, 64 * 1024);
  const redacted = JSON.parse(json ?? '{}') as Record<string, unknown>;
  // A field redaction removed (mode `remove`) is not written at all.
  return new SinkFields(Object.keys(redacted).map((n) => [n, JSON.stringify(redacted[n])] as const));
}

/**
 * Inserts `"name":value` members into a one-line JSON object whose top-level keys are sorted (every
 * record line is canonical), keeping them sorted. Only the top level is scanned: strings and nested
 * values are skipped, never parsed, so this costs a pass over the line's characters and no objects.
 */
export function insertMembers(line: string, members: ReadonlyArray<readonly [string, string]>): string {
  let out = '';
  let copied = 0;
  let next = 0;
  let i = 1;
  const n = line.length;
  while (next < members.length && i < n) {
    // At a key of the top-level object, or at its closing brace.
    while (i < n && line.charCodeAt(i) !== 0x22 && line.charCodeAt(i) !== 0x7d) i++;
    if (i >= n || line.charCodeAt(i) === 0x7d) break;
    const keyStart = i;
    const keyEnd = skipString(line, i);
    // Record keys are plain ASCII names; only an escaped key needs decoding.
    const raw = line.slice(keyStart + 1, keyEnd - 1);
    const key = raw.includes('\\') ? (JSON.parse(line.slice(keyStart, keyEnd)) as string) : raw;
    while (next < members.length && compareKeys(members[next]![0], key) < 0) {
      out += line.slice(copied, keyStart) + `"${members[next]![0]}":${members[next]![1]},`;
      copied = keyStart;
      next++;
    }
    i = skipValue(line, keyEnd + 1);
    // Past the comma between members.
    if (line.charCodeAt(i) === 0x2c) i++;
  }
  if (next === members.length) return out + line.slice(copied);
  // The rest sort after every key: they go before the closing brace.
  const close = line.lastIndexOf('}');
  let tail = '';
  for (; next < members.length; next++) tail += `,"${members[next]![0]}":${members[next]![1]}`;
  if (close <= 1 && line.slice(copied, close).trim() === '{') tail = tail.slice(1);
  return out + line.slice(copied, close) + tail + line.slice(close);
}

/** The index just past the string starting at `i` (a `"`): jumps from quote to quote, skipping escaped ones. */
function skipString(s: string, i: number): number {
  let from = i + 1;
  for (;;) {
    const quote = s.indexOf('"', from);
    if (quote === -1) return s.length;
    let backslashes = 0;
    while (s.charCodeAt(quote - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** The index just past the value starting at or after `i` (after the `:`). */
function skipValue(s: string, i: number): number {
  let j = i;
  while (s.charCodeAt(j) === 0x20) j++;
  const first = s.charCodeAt(j);
  if (first === 0x22) return skipString(s, j);
  if (first !== 0x7b && first !== 0x5b) {
    while (j < s.length && s.charCodeAt(j) !== 0x2c && s.charCodeAt(j) !== 0x7d) j++;
    return j;
  }
  let depth = 0;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c === 0x22) {
      j = skipString(s, j);
      continue;
    }
    if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return j + 1;
    }
    j++;
  }
  return j;
}
