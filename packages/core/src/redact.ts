import { compareKeys, isArrayIndex } from './canonical.js';
import { hmacValue } from './hmac.js';
import type { JsonValue } from './record.js';

/**
 * Redaction: one pass over a value that at the same time
 * - masks, removes or HMACs values whose key matches a keyword rule or whose path matches a path rule,
 * - copies into fresh objects, so the application's objects are never touched,
 * - keeps hostile keys (`__proto__`, `constructor`) as plain data without touching any prototype,
 * - stops at a depth limit, breaks cycles, and turns what JSON cannot hold into something it can,
 * - replaces ill-formed UTF-16 (lone surrogates) so every consumer can parse the line,
 * - stays within a byte budget, marking what it cut.
 *
 * We do this ourselves rather than through redact-object: redact-object 4.0.4 recurses without a
 * depth limit (a 10,000-deep body overflows the stack), assigns `copy[key] = value` so a
 * `__proto__` key becomes the copy's prototype and vanishes from the record, has no path rules, no
 * remove or HMAC mode, and no size budget; and it cost 13 µs per 1 KB body here against about 3 µs
 * for this walker (see docs/benchmarks.md).
 */

export type RedactMode = 'mask' | 'remove' | 'hmac';

/** Where a redacted value sits in the record; path rules start with one of these. */
export type RedactRoot = 'body' | 'query' | 'bindings' | 'meta' | 'headers' | 'target';

export const REDACT_ROOTS: readonly RedactRoot[] = ['body', 'query', 'bindings', 'meta', 'headers', 'target'];

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
}

export interface RedactionRules {
  readonly mask: string;
  readonly hmacKey: string | Buffer | undefined;
  readonly maxDepth: number;
  /** Keywords longer than three characters match anywhere in the flattened key. */
  readonly longKeywords: readonly KeywordRule[];
  /** Keywords of three characters or fewer (ssn, cvv, pin) match only a whole word of the key. */
  readonly shortKeywords: readonly KeywordRule[];
  readonly paths: ReadonlyMap<RedactRoot, PathNode>;
  readonly keyCache: Map<string, RedactMode | null>;
}

const KEY_CACHE_MAX = 4096;

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
    (flat.length <= 3 ? shortKeywords : longKeywords).push({ flat, mode });
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
  paths: ReadonlyArray<{ path: string; mode: RedactMode }>,
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
    node.mode = mode;
  }
  return roots;
}

/** The keyword rule that applies to a key, if any. Cached: the same few keys recur on every request. */
export function keywordModeOf(rules: RedactionRules, key: string): RedactMode | undefined {
  const cached = rules.keyCache.get(key);
  if (cached !== undefined) return cached ?? undefined;
  let mode: RedactMode | null = null;
  const flat = flattenKey(key);
  for (const rule of rules.longKeywords) {
    if (flat.includes(rule.flat)) {
      mode = rule.mode;
      break;
    }
  }
  if (mode === null && rules.shortKeywords.length > 0) {
    const words = keyWords(key);
    for (const rule of rules.shortKeywords) {
      if (words.includes(rule.flat)) {
        mode = rule.mode;
        break;
      }
    }
  }
  if (rules.keyCache.size >= KEY_CACHE_MAX) rules.keyCache.clear();
  rules.keyCache.set(key, mode);
  return mode ?? undefined;
}

interface WalkState {
  budget: number;
  truncated: boolean;
  /** The copy's insertion order is not canonical (array-index keys, or a marker added at the end). */
  unsorted: boolean;
  readonly ancestors: object[];
  readonly rules: RedactionRules;
}

export interface RedactResult {
  /** The redacted copy; `undefined` when the value itself was removed or cannot be represented. */
  value: JsonValue | undefined;
  /** True when anything was cut: a byte budget, the depth limit, or a long string. */
  truncated: boolean;
  /**
   * Objects in the copy have their keys in canonical (sorted) insertion order, so JSON.stringify
   * writes canonical JSON; false when that could not be arranged (see canonical.ts).
   */
  sorted: boolean;
}

/**
 * Redacts `value`, which sits at `root` of the record, within `budget` bytes (approximate: the size of
 * the JSON it will become, counted in UTF-16 code units).
 */
export function redactValue(rules: RedactionRules, root: RedactRoot, value: unknown, budget: number): RedactResult {
  const state: WalkState = { budget, truncated: false, unsorted: false, ancestors: [], rules };
  const pathRoot = rules.paths.get(root);
  const value2 = copyValue(value, 0, pathRoot ? [pathRoot] : undefined, state);
  return { value: value2, truncated: state.truncated, sorted: !state.unsorted };
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

function copyString(s: string, state: WalkState): string {
  const str = wellFormed(s);
  const cost = str.length + 3;
  if (cost <= state.budget) {
    state.budget -= cost;
    return str;
  }
  // Keep a useful prefix of an oversized string rather than dropping it whole.
  const keep = Math.max(16, state.budget - STRING_CUT.length - 3);
  state.budget = 0;
  state.truncated = true;
  return keep >= str.length ? str : str.slice(0, keep) + STRING_CUT;
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
  for (const node of nodes) if (node.mode !== undefined) return node.mode;
  return undefined;
}

function isBinary(v: object): v is ArrayBufferView | ArrayBuffer {
  return ArrayBuffer.isView(v) || v instanceof ArrayBuffer;
}

function copyValue(v: unknown, depth: number, paths: PathNode[] | undefined, state: WalkState): JsonValue | undefined {
  switch (typeof v) {
    case 'string':
      return copyString(v, state);
    case 'number':
      state.budget -= 10;
      return Number.isFinite(v) ? v : null;
    case 'boolean':
      state.budget -= 6;
      return v;
    case 'bigint':
      return copyString(String(v), state);
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      break;
  }
  if (v === null) {
    state.budget -= 5;
    return null;
  }
  const obj = v as object;
  if (depth >= state.rules.maxDepth) {
    state.truncated = true;
    return DEPTH_LIMIT;
  }
  if (state.ancestors.includes(obj)) return CIRCULAR;

  if (Array.isArray(obj)) return copyArray(obj, depth, paths, state);
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? null : copyString(obj.toISOString(), state);
  if (isBinary(obj)) return copyString(`[Binary ${obj.byteLength} bytes]`, state);
  if (obj instanceof Map) return copyObject(Object.fromEntries([...obj].map(([k, x]) => [String(k), x])), depth, paths, state, obj);
  if (obj instanceof Set) return copyArray([...obj], depth, paths, state, obj);
  if (obj instanceof Error) return copyObject({ name: obj.name, message: obj.message }, depth, paths, state, obj);
  const proto = Object.getPrototypeOf(obj);
  if (proto !== Object.prototype && proto !== null && typeof (obj as { toJSON?: unknown }).toJSON === 'function') {
    // URL, Decimal and friends: take their own JSON form, then redact that.
    let json: unknown;
    try {
      json = (obj as { toJSON(): unknown }).toJSON();
    } catch {
      return '[Unserializable]';
    }
    if (json === obj) return '[Unserializable]';
    return copyValue(json, depth, paths, state);
  }
  return copyObject(obj as Record<string, unknown>, depth, paths, state, obj);
}

function copyArray(
  arr: readonly unknown[],
  depth: number,
  paths: PathNode[] | undefined,
  state: WalkState,
  identity: object = arr,
): JsonValue[] {
  const out: JsonValue[] = [];
  state.budget -= 2;
  state.ancestors.push(identity);
  const n = arr.length;
  for (let i = 0; i < n; i++) {
    if (state.budget <= 0) {
      out.push({ [TRUNCATED_KEY]: n - i });
      state.truncated = true;
      break;
    }
    const childPaths = paths === undefined ? undefined : nextPathNodes(paths, String(i));
    const mode = pathModeOf(childPaths);
    let child: JsonValue | undefined;
    if (mode !== undefined) {
      if (mode === 'remove') continue;
      child = applyMode(state.rules, mode, arr[i])!;
      state.budget -= child.length + 3;
    } else {
      child = copyValue(arr[i], depth + 1, childPaths, state);
    }
    // JSON turns holes and unrepresentable items into null; so do we, to keep indexes meaningful.
    out.push(child === undefined ? null : child);
  }
  state.ancestors.pop();
  return out;
}

function copyObject(
  obj: Record<string, unknown>,
  depth: number,
  paths: PathNode[] | undefined,
  state: WalkState,
  identity: object,
): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {};
  state.budget -= 2;
  state.ancestors.push(identity);
  // Copy in canonical key order, so the copy serialises as canonical JSON (see canonical.ts).
  const keys = Object.keys(obj);
  if (keys.length > 1) keys.sort(compareKeys);
  const n = keys.length;
  for (let i = 0; i < n; i++) {
    if (state.budget <= 0) {
      setOwn(out, TRUNCATED_KEY, n - i);
      state.truncated = true;
      state.unsorted = true;
      break;
    }
    const key = keys[i]!;
    if (isArrayIndex(key)) state.unsorted = true;
    const childPaths = paths === undefined ? undefined : nextPathNodes(paths, key);
    const mode = pathModeOf(childPaths) ?? keywordModeOf(state.rules, key);
    let raw: unknown;
    try {
      raw = obj[key];
    } catch {
      raw = '[Unreadable]';
    }
    let child: JsonValue | undefined;
    if (mode !== undefined) {
      if (mode === 'remove') continue;
      const replaced = applyMode(state.rules, mode, raw)!;
      state.budget -= replaced.length + 3;
      child = replaced;
    } else {
      child = copyValue(raw, depth + 1, childPaths, state);
    }
    if (child === undefined) continue;
    state.budget -= key.length + 4;
    setOwn(out, wellFormed(key), child);
  }
  state.ancestors.pop();
  return out;
}

/**
 * Sets an own, enumerable data property. Plain assignment of `__proto__` would replace the copy's
 * prototype instead (and drop the key from the record), so that one key goes through defineProperty.
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
