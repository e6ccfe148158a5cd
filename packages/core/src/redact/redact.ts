import { hmacValue } from '../shared/hmac.js';
import type { Fingerprinter } from './fingerprint.js';
import { looksSecret, maskSecrets, type SecretContext } from './secrets/detectors.js';

/**
 * Redaction: one pass over a value that at the same time
 * - masks, removes or HMACs values whose key matches a keyword rule or whose path matches a path rule,
 * - writes the result straight out as canonical JSON text (RFC 8785: keys sorted by UTF-16 code
 *   units), so the application's objects are never touched and no copy is built only to be
 *   serialised afterwards,
 * - keeps hostile keys (`__proto__`, `constructor`) as plain data: they are only ever text here,
 * - stops at a depth limit, breaks cycles, and turns what JSON cannot hold into something it can,
 * - replaces ill-formed UTF-16 (lone surrogates) so every consumer can parse the line,
 * - stays within a byte budget, marking what it cut.
 *
 * We do this ourselves rather than through redact-object: redact-object 4.0.4 recurses without a
 * depth limit (a 10,000-deep body overflows the stack), assigns `copy[key] = value` so a
 * `__proto__` key becomes the copy's prototype and vanishes from the record, has no path rules, no
 * remove or HMAC mode, and no size budget; and it cost 13 µs per 1 KB body here, where this walker,
 * serialisation included, costs about as much as JSON.stringify alone (see docs/benchmarks.md).
 */

export type RedactMode = 'mask' | 'remove' | 'hmac';

/** Where a redacted value sits in the record; path rules start with one of these. */
export type RedactRoot = 'body' | 'query' | 'bindings' | 'meta' | 'headers' | 'target' | 'state' | 'args';

/** `state` is the before and after of a change (change.ts): one path rule covers both. `args`: a command's arguments and options (command-args.ts). */
export const REDACT_ROOTS: readonly RedactRoot[] = ['body', 'query', 'bindings', 'meta', 'headers', 'target', 'state', 'args'];

export const TRUNCATED_KEY = '$truncated';
export const CIRCULAR = '[Circular]';
export const DEPTH_LIMIT = '[Truncated: depth]';
export const STRING_CUT = '…[truncated]';

interface KeywordRule {
  readonly flat: string;
  readonly mode: RedactMode;
}

export interface PathNode {
  readonly children: Map<string, PathNode>;
  wildcard: PathNode | undefined;
  mode: RedactMode | undefined;
  /** Kept as it is (a per-route body allow-list): other rules of this level do not apply. */
  keep?: boolean;
}

export interface RedactionRules {
  readonly mask: string;
  /** `mask` as JSON text. */
  readonly maskJson: string;
  readonly hmacKey: string | Buffer | undefined;
  readonly maxDepth: number;
  /** Keywords longer than four characters match anywhere in the flattened key. */
  readonly longKeywords: readonly KeywordRule[];
  /** Keywords of four characters or fewer (ssn, pin, pass, iban) match only a whole word of the key. */
  readonly shortKeywords: readonly KeywordRule[];
  readonly paths: ReadonlyMap<RedactRoot, PathNode>;
  /*
   * The parts below are optional so that a rule set built by hand (a test, a tool) means "keywords
   * and paths only"; resolveOptions always fills them.
   */
  /** The mode of the default lists (query names, header words): `redact.mode`. */
  readonly defaultMode?: RedactMode;
  /** Query parameter names (DEFAULT_QUERY_KEYS), flattened: short ones must be the whole name, long ones match anywhere. */
  readonly queryShort?: ReadonlySet<string>;
  readonly queryLong?: readonly string[];
  /** Whole words that make a header name secret (DEFAULT_HEADER_WORDS). */
  readonly headerWords?: ReadonlySet<string>;
  /** The value detectors (redact/secrets/), or undefined when switched off. */
  readonly secrets?: SecretContext;
  /** Per query parameter name seen: its mode. */
  readonly queryCache?: Map<string, RedactMode | null>;
  /** Names a credential that must not be recorded (`source`): keyed HMAC under the install's key. */
  readonly fingerprint?: Fingerprinter;
  /** Per key seen: its keyword rule and its JSON text. The same few keys recur on every request. */
  readonly keyCache: Map<string, KeyInfo>;
  /**
   * Per object shape seen (its keys in insertion order, found by the first key): the keys in written
   * order with their infos. Request bodies of one route share a shape, so the sort runs once per shape.
   */
  readonly shapeCache: Map<string, ObjectShape>;
}

export interface ObjectShape {
  /** The keys as `Object.keys` gave them, to recognise the next object of this shape. */
  readonly raw: readonly string[];
  readonly keys: readonly string[];
  readonly infos: readonly KeyInfo[];
  /**
   * A name/value pair (`{name: "DATABASE_PASSWORD", value: …}`, `{key, val}`, `{field, value}`): the
   * key that holds the name. Its value is judged as a key would be, and the rule applies to `value`.
   */
  readonly pairName?: string;
}

/** Keys that hold the name of a name/value pair, and keys that hold its value. */
const PAIR_NAMES = ['name', 'key', 'field'];
const PAIR_VALUES = new Set(['value', 'val', 'values']);

export interface KeyInfo {
  /** The keyword rule for this key, if any. */
  readonly mode: RedactMode | undefined;
  /** The key as it is written: well-formed, then JSON-quoted, followed by a colon. */
  readonly prefix: string;
  /** `prefix` after a comma, for every member but the first: one string joined per member, not two. */
  readonly member: string;
  /** The key after lone surrogates are replaced (the key itself, nearly always). */
  readonly wellFormed: string;
}

const KEY_CACHE_MAX = 4096;
const SHAPE_CACHE_MAX = 1024;
const SHAPE_MAX_KEYS = 64;

/** Keywords this long or shorter match only a whole word of a key (`pass` but not `passport`). */
export const SHORT_KEYWORD = 4;

export function flattenKey(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Splits `userSSN`, `card_cvv2`, `X-Api-Key` into lower-case words. */
export function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/([a-zA-Z])(\d)/g, '$1 $2')
    .replace(/(\d)([a-zA-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

export function compileKeywords(keywords: ReadonlyArray<{ keyword: string; mode: RedactMode }>): {
  longKeywords: KeywordRule[];
  shortKeywords: KeywordRule[];
} {
  const longKeywords: KeywordRule[] = [];
  const shortKeywords: KeywordRule[] = [];
  for (const { keyword, mode } of keywords) {
    const flat = flattenKey(keyword);
    if (flat.length === 0) continue;
    (flat.length <= SHORT_KEYWORD ? shortKeywords : longKeywords).push({ flat, mode });
  }
  return { longKeywords, shortKeywords };
}

/** Parses `body.card.number`, `body.items[*].pan`, `meta.*.secret` into a root and segments. */
export function parsePath(path: string): { root: RedactRoot; segments: string[] } | undefined {
  const normalized = path.replace(/\[(\*|\d+)\]/g, '.$1');
  const parts = normalized.split('.');
  const root = parts[0] as RedactRoot;
  if (!REDACT_ROOTS.includes(root) || parts.length < 2 || parts.some((p) => p.length === 0)) return undefined;
  return { root, segments: parts.slice(1) };
}

export function compilePaths(
  paths: ReadonlyArray<{ path: string; mode: RedactMode | 'keep' }>,
): Map<RedactRoot, PathNode> {
  const roots = new Map<RedactRoot, PathNode>();
  for (const { path, mode } of paths) {
    const parsed = parsePath(path);
    if (!parsed) continue;
    let node: PathNode | undefined = roots.get(parsed.root);
    if (!node) {
      node = { children: new Map(), wildcard: undefined, mode: undefined };
      roots.set(parsed.root, node);
    }
    for (const segment of parsed.segments) {
      let next: PathNode | undefined = segment === '*' ? node.wildcard : node.children.get(segment);
      if (!next) {
        next = { children: new Map(), wildcard: undefined, mode: undefined };
        if (segment === '*') node.wildcard = next;
        else node.children.set(segment, next);
      }
      node = next;
    }
    if (mode === 'keep') node.keep = true;
    else node.mode = mode;
  }
  return roots;
}

/** `redact.routes`: the rules for the routes one rule names. */
export interface RouteRedaction {
  readonly route: string;
  matches(operationId: string, method: string): boolean;
  readonly rules: RedactionRules;
}

/** What the walker needs to know about a key; cached, so a known key costs one map look-up. */
export function keyInfo(rules: RedactionRules, key: string): KeyInfo {
  const cached = rules.keyCache.get(key);
  if (cached !== undefined) return cached;
  let mode: RedactMode | undefined;
  const flat = flattenKey(key);
  for (const rule of rules.longKeywords) {
    if (flat.includes(rule.flat)) {
      mode = rule.mode;
      break;
    }
  }
  if (mode === undefined && rules.shortKeywords.length > 0) {
    const words = keyWords(key);
    for (const rule of rules.shortKeywords) {
      if (words.includes(rule.flat)) {
        mode = rule.mode;
        break;
      }
    }
  }
  const fixed = wellFormed(key);
  const prefix = JSON.stringify(fixed) + ':';
  const info: KeyInfo = { mode, prefix, member: ',' + prefix, wellFormed: fixed };
  if (rules.keyCache.size >= KEY_CACHE_MAX) rules.keyCache.clear();
  rules.keyCache.set(key, info);
  return info;
}

interface WalkState {
  budget: number;
  truncated: boolean;
  readonly ancestors: object[];
  readonly rules: RedactionRules;
  /** The query string's own parameters (depth 0 of `query`) also follow the query-name list. */
  readonly query: boolean;
}

/** The mode for a query parameter's name: a keyword's, or the query list's. Cached. */
export function queryNameMode(rules: RedactionRules, name: string): RedactMode | undefined {
  const cache = rules.queryCache;
  const cached = cache?.get(name);
  if (cached !== undefined) return cached ?? undefined;
  let mode = keyInfo(rules, name).mode;
  if (mode === undefined && rules.queryShort !== undefined) {
    const flat = flattenKey(name);
    if (rules.queryShort.has(flat) || rules.queryLong!.some((k) => flat.includes(k))) mode = rules.defaultMode ?? 'mask';
  }
  if (cache !== undefined) {
    if (cache.size >= KEY_CACHE_MAX) cache.clear();
    cache.set(name, mode ?? null);
  }
  return mode;
}

/**
 * An operator name as `source` may hold it: a name the value detectors take for a credential (a
 * Stripe key sent as a Basic user name, a token passed to `operator()`) becomes its fingerprint.
 */
export function safeSource(rules: RedactionRules, source: string): string {
  if (rules.secrets === undefined || !looksSecret(source, rules.secrets)) return source;
  return rules.fingerprint !== undefined ? rules.fingerprint.of(source) : rules.mask;
}

/** A string as the record may keep it: with what the value detectors recognise masked. */
export function scrubbed(rules: RedactionRules, s: string): string {
  return rules.secrets === undefined ? s : maskSecrets(s, rules.secrets);
}

export interface RedactedJson {
  /** The redacted value as canonical JSON text; `undefined` when the value itself was removed or cannot be represented. */
  json: string | undefined;
  /** True when anything was cut: a byte budget, the depth limit, or a long string. */
  truncated: boolean;
}

/**
 * Redacts `value`, which sits at `root` of the record, within `budget` bytes (approximate: the size of
 * the JSON it becomes, counted in UTF-16 code units), and returns it as canonical JSON text.
 */
export function redactJson(rules: RedactionRules, root: RedactRoot, value: unknown, budget: number): RedactedJson {
  const state: WalkState = { budget, truncated: false, ancestors: [], rules, query: root === 'query' };
  const pathRoot = rules.paths.get(root);
  const json = writeValue(value, 0, pathRoot ? [pathRoot] : undefined, state);
  return { json, truncated: state.truncated };
}

/** Characters JSON must escape in a string. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;

/**
 * A well-formed string as a JSON string literal. Most strings need no escaping, and quoting them by
 * concatenation keeps their characters where they are (no copy) until the line is written out.
 */
export function quote(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : '"' + s + '"';
}

/** Any string as a JSON string literal, lone surrogates replaced. */
export function jsonString(s: string): string {
  return quote(s.isWellFormed() ? s : s.toWellFormed());
}

/** Applies a rule's mode to a value. `undefined` means "remove". */
export function applyMode(rules: RedactionRules, mode: RedactMode, value: unknown): string | undefined {
  if (mode === 'remove') return undefined;
  if (mode === 'mask' || rules.hmacKey === undefined) return rules.mask;
  return hmacValue(rules.hmacKey, hmacInput(value));
}

function hmacInput(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export function wellFormed(s: string): string {
  return s.isWellFormed() ? s : s.toWellFormed();
}

function writeString(s: string, state: WalkState): string {
  const str = scrubbed(state.rules, wellFormed(s));
  const cost = str.length + 3;
  if (cost <= state.budget) {
    state.budget -= cost;
    return quote(str);
  }
  // Keep a useful prefix of an oversized string rather than dropping it whole.
  const keep = Math.max(16, state.budget - STRING_CUT.length - 3);
  state.budget = 0;
  state.truncated = true;
  return quote(keep >= str.length ? str : str.slice(0, keep) + STRING_CUT);
}

/** A rule's replacement, as JSON text, charged to the budget. */
function writeReplacement(state: WalkState, mode: RedactMode, raw: unknown): string {
  const replaced = applyMode(state.rules, mode, raw)!;
  state.budget -= replaced.length + 3;
  return jsonString(replaced);
}

function nextPathNodes(nodes: PathNode[] | undefined, key: string): PathNode[] | undefined {
  if (nodes === undefined) return undefined;
  let out: PathNode[] | undefined;
  for (const node of nodes) {
    const child = node.children.get(key);
    if (child) (out ??= []).push(child);
    if (node.wildcard) (out ??= []).push(node.wildcard);
  }
  return out;
}

function pathModeOf(nodes: PathNode[] | undefined): RedactMode | undefined {
  if (nodes === undefined) return undefined;
  let mode: RedactMode | undefined;
  for (const node of nodes) {
    // An allow-listed path wins over the wildcard that masks everything else beside it.
    if (node.keep) return undefined;
    if (mode === undefined) mode = node.mode;
  }
  return mode;
}

function isBinary(v: object): v is ArrayBufferView | ArrayBuffer {
  return ArrayBuffer.isView(v) || v instanceof ArrayBuffer;
}

function writeValue(v: unknown, depth: number, paths: PathNode[] | undefined, state: WalkState): string | undefined {
  switch (typeof v) {
    case 'string':
      return writeString(v, state);
    case 'number':
      state.budget -= 10;
      // JSON writes finite numbers exactly as String() does (-0 as 0); NaN and Infinity become null.
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      state.budget -= 6;
      return v ? 'true' : 'false';
    case 'bigint':
      return writeString(String(v), state);
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      break;
  }
  if (v === null) {
    state.budget -= 5;
    return 'null';
  }
  const obj = v as object;
  if (depth >= state.rules.maxDepth) {
    state.truncated = true;
    return JSON.stringify(DEPTH_LIMIT);
  }
  if (state.ancestors.includes(obj)) return JSON.stringify(CIRCULAR);

  if (Array.isArray(obj)) return writeArray(obj, depth, paths, state);
  const proto = Object.getPrototypeOf(obj);
  if (proto === Object.prototype || proto === null) return writeObject(obj as Record<string, unknown>, depth, paths, state, obj);
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? 'null' : writeString(obj.toISOString(), state);
  if (isBinary(obj)) return writeString(`[Binary ${obj.byteLength} bytes]`, state);
  if (obj instanceof Map) return writeObject(mapAsObject(obj), depth, paths, state, obj);
  if (obj instanceof Set) return writeArray([...obj], depth, paths, state, obj);
  if (obj instanceof Error) return writeObject({ name: obj.name, message: obj.message }, depth, paths, state, obj);
  if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') {
    // URL, Decimal and friends: take their own JSON form, then redact that.
    let json: unknown;
    try {
      json = (obj as { toJSON(): unknown }).toJSON();
    } catch {
      return JSON.stringify('[Unserializable]');
    }
    if (json === obj) return JSON.stringify('[Unserializable]');
    return writeValue(json, depth, paths, state);
  }
  return writeObject(obj as Record<string, unknown>, depth, paths, state, obj);
}

function mapAsObject(map: Map<unknown, unknown>): Record<string, unknown> {
  // A null-prototype object: a `__proto__` key stays a key.
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, x] of map) out[String(k)] = x;
  return out;
}

function writeArray(
  arr: readonly unknown[],
  depth: number,
  paths: PathNode[] | undefined,
  state: WalkState,
  identity: object = arr,
): string {
  let out = '[';
  let items = 0;
  state.budget -= 2;
  state.ancestors.push(identity);
  const n = arr.length;
  for (let i = 0; i < n; i++) {
    if (state.budget <= 0) {
      out += `${items === 0 ? '' : ','}{"${TRUNCATED_KEY}":${n - i}}`;
      state.truncated = true;
      break;
    }
    const childPaths = paths === undefined ? undefined : nextPathNodes(paths, String(i));
    const mode = pathModeOf(childPaths);
    if (mode === 'remove') continue;
    const child = mode !== undefined ? writeReplacement(state, mode, arr[i]) : writeValue(arr[i], depth + 1, childPaths, state);
    // JSON turns holes and unrepresentable items into null; so do we, to keep indexes meaningful.
    out += (items === 0 ? '' : ',') + (child === undefined ? 'null' : child);
    items++;
  }
  state.ancestors.pop();
  return out + ']';
}

/** The keys of an object in canonical order, with the text each is written as. */
function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** An object's keys in written (canonical) order, with their infos; remembered per object shape. */
export function orderedKeys(obj: object, rules: RedactionRules): ObjectShape {
  const raw = Object.keys(obj);
  if (raw.length === 0) return EMPTY_SHAPE;
  const cached = rules.shapeCache.get(raw[0]!);
  if (cached !== undefined && sameKeys(cached.raw, raw)) return cached;
  const shape = shapeOf(raw, rules);
  // A large or one-off object (a client inventing keys) is sorted each time rather than kept.
  if (raw.length > SHAPE_MAX_KEYS) return shape;
  if (rules.shapeCache.size >= SHAPE_CACHE_MAX) rules.shapeCache.clear();
  rules.shapeCache.set(raw[0]!, shape);
  return shape;
}

const EMPTY_SHAPE: ObjectShape = { raw: [], keys: [], infos: [] };

function shapeOf(raw: readonly string[], rules: RedactionRules): ObjectShape {
  // Default sort compares UTF-16 code units: RFC 8785's order.
  const keys = [...raw].sort();
  const infos = keys.map((k) => keyInfo(rules, k));
  const pairName = keys.some((k) => PAIR_VALUES.has(k)) ? PAIR_NAMES.find((k) => keys.includes(k)) : undefined;
  if (infos.every((info, i) => info.wellFormed === keys[i])) return { raw, keys, infos, pairName };
  // A key with a lone surrogate is written with U+FFFD in its place, which can move it in the order
  // or make it collide with another key: sort by the written form, and keep the first of equals.
  const pairs = keys.map((k, i) => ({ key: k, info: infos[i]! })).sort((a, b) => (a.info.wellFormed < b.info.wellFormed ? -1 : a.info.wellFormed > b.info.wellFormed ? 1 : 0));
  const unique = pairs.filter((p, i) => i === 0 || p.info.wellFormed !== pairs[i - 1]!.info.wellFormed);
  return { raw, keys: unique.map((p) => p.key), infos: unique.map((p) => p.info), pairName };
}

function writeObject(
  obj: Record<string, unknown>,
  depth: number,
  paths: PathNode[] | undefined,
  state: WalkState,
  identity: object,
): string {
  state.budget -= 2;
  state.ancestors.push(identity);
  const { keys, infos, pairName } = orderedKeys(obj, state.rules);
  const n = keys.length;
  let pairMode: RedactMode | undefined;
  if (pairName !== undefined) {
    let name: unknown;
    try {
      name = obj[pairName];
    } catch {
      name = undefined;
    }
    if (typeof name === 'string' && name.length <= 256) pairMode = keyInfo(state.rules, name).mode;
  }
  const queryParams = state.query && depth === 0;
  let out = '{';
  let members = 0;
  // Where "$truncated" would sort among the members written so far, should the budget run out.
  let markerAt = 1;
  let membersBeforeMarker = 0;
  for (let i = 0; i < n; i++) {
    if (state.budget <= 0) {
      out = withTruncationMarker(out, markerAt, membersBeforeMarker, members, n - i);
      state.truncated = true;
      break;
    }
    const key = keys[i]!;
    const info = infos[i]!;
    const childPaths = paths === undefined ? undefined : nextPathNodes(paths, key);
    let mode = pathModeOf(childPaths) ?? info.mode;
    if (mode === undefined && pairMode !== undefined && PAIR_VALUES.has(key)) mode = pairMode;
    if (mode === undefined && queryParams) mode = queryNameMode(state.rules, key);
    if (mode === 'remove') continue;
    let raw: unknown;
    try {
      raw = obj[key];
    } catch {
      raw = '[Unreadable]';
    }
    const child = mode !== undefined ? writeReplacement(state, mode, raw) : writeValue(raw, depth + 1, childPaths, state);
    if (child === undefined) continue;
    state.budget -= key.length + 4;
    out += (members === 0 ? info.prefix : info.member) + child;
    members++;
    if (info.wellFormed < TRUNCATED_KEY) {
      markerAt = out.length;
      membersBeforeMarker = members;
    }
  }
  state.ancestors.pop();
  return out + '}';
}

/** Inserts `"$truncated":count` at its canonical place among the members already written. */
function withTruncationMarker(out: string, at: number, before: number, members: number, count: number): string {
  const marker = `"${TRUNCATED_KEY}":${count}`;
  const head = out.slice(0, at);
  const rest = out.slice(at); // starts with ',' when members precede it, else with the first later member
  if (before > 0) return head + ',' + marker + rest;
  return head + marker + (members > 0 ? ',' + rest : '');
}
