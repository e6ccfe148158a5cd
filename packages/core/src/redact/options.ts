import { join } from 'node:path';
import { DEFAULT_HEADER_WORDS, DEFAULT_MASKED_HEADERS, DEFAULT_QUERY_KEYS, DEFAULT_REDACT_KEYS } from './names.js';
import { Fingerprinter, FINGERPRINT_KEY_FILE } from './fingerprint.js';
import {
  compileKeywords,
  compilePaths,
  flattenKey,
  parsePath,
  queryNameMode,
  SHORT_KEYWORD,
  type RedactionRules,
  type RedactMode,
  type RouteRedaction,
} from './redact.js';
import { booleanAt, describe, fail, isPlainObject, onlyKeys, stringAt, stringListAt, type Obj } from '../shared/validate.js';

/** Redaction settings. Keys and headers add to the defaults unless `defaults: false`. */
export interface RedactOptions {
  /** Extra header names to mask (case-insensitive). */
  headers?: readonly string[];
  /** Extra keywords: a key containing one (ignoring case, `_`, `-`) is redacted at any depth. */
  keys?: ReadonlyArray<string | { key: string; mode: RedactMode }>;
  /** Exact paths: `body.card.number`, `query.token`, `meta.*.secret`, `body.items[*].pan`, `state.card.number` (before and after of a change). */
  paths?: ReadonlyArray<string | { path: string; mode: RedactMode }>;
  /** How a matched value is replaced. Default `mask`. */
  mode?: RedactMode;
  /** Key for `hmac` mode; required when any rule uses it. At least 16 bytes. */
  hmacKey?: string | Buffer;
  /** The mask. Default `******` (EMQX's). */
  mask?: string;
  /** Set false to start from no default keywords, headers, query names and detectors. Default true: think twice. */
  defaults?: boolean;
  /** The value detectors (JWTs, provider tokens, private keys, URL credentials, cards, IBANs, SSNs). Default: on with `defaults`. */
  detectors?: boolean;
  /**
   * Key for the fingerprints that name API keys and credential-looking operators in `source`. Default:
   * a random key generated once and kept (mode 0600) in `fingerprint.key` beside the trail.
   */
  fingerprintKey?: string | Buffer;
  /** Per-route rules for what no default can know: `{ route: '/rpc', body: ['jsonrpc', 'id', 'method'] }`, `{ route: '/webhooks/:id', paths: ['bindings.id'] }`. */
  routes?: readonly RedactRouteRule[];
}

/** Redaction for one route (a template or a glob, as in `routes`), on top of the rules for every route. */
export interface RedactRouteRule {
  route: string;
  methods?: readonly string[];
  /** A body allow-list: these top-level keys are kept (and redacted as usual); every other one is masked. */
  body?: readonly string[];
  /** Path rules for this route only, like `redact.paths`. */
  paths?: ReadonlyArray<string | { path: string; mode: RedactMode }>;
}

/** `redact` resolved: the rules for every route, those for the routes `redact.routes` names, the masked headers. */
export interface ResolvedRedaction {
  readonly redaction: RedactionRules;
  /** `redact.routes`: rule sets for some routes, first match wins; `redaction` for every other. */
  readonly routeRedaction: readonly RouteRedaction[];
  readonly maskedHeaders: ReadonlySet<string>;
}

/**
 * How `redact.routes[i].route` is checked and matched: as policy reads route templates and globs.
 * Policy sits above redaction, so the composer (options.ts) hands its checker and matcher in.
 */
export interface RoutePatterns {
  check(pattern: string, option: string): void;
  compile(pattern: string): { matches(template: string): boolean };
}

const MODES: readonly RedactMode[] = ['mask', 'remove', 'hmac'];

/**
 * Checks `redact` and compiles it. `maxDepth` is `limits.depth`; `trail` is the directory the
 * generated fingerprint key is kept in when `fingerprintKey` is not given.
 */
export function resolveRedaction(input: Obj | undefined, maxDepth: number, trail: string, patterns: RoutePatterns): ResolvedRedaction {
  const r = input ?? {};
  onlyKeys(r, ['headers', 'keys', 'paths', 'mode', 'hmacKey', 'mask', 'defaults', 'detectors', 'fingerprintKey', 'routes'], 'redact');
  const defaults = booleanAt(r.defaults, 'redact.defaults', true);
  const detectors = booleanAt(r.detectors, 'redact.detectors', defaults);
  const mode = (r.mode ?? 'mask') as RedactMode;
  if (!MODES.includes(mode)) fail('redact.mode', `must be "mask", "remove" or "hmac", got ${describe(r.mode)}`, 'pick one of "mask", "remove", "hmac"');
  const mask = stringAt(r.mask, 'redact.mask', '******', '******');

  const keywords: Array<{ keyword: string; mode: RedactMode }> = defaults ? DEFAULT_REDACT_KEYS.map((keyword) => ({ keyword, mode })) : [];
  if (r.keys !== undefined) {
    if (!Array.isArray(r.keys)) fail('redact.keys', `must be an array, got ${describe(r.keys)}`, `use ["iban", { key: "email", mode: "hmac" }]`);
    r.keys.forEach((k: unknown, i: number) => {
      const option = `redact.keys[${i}]`;
      if (typeof k === 'string' && k.length > 0) keywords.push({ keyword: k, mode });
      else if (isPlainObject(k)) {
        onlyKeys(k, ['key', 'mode'], option);
        const keyword = stringAt(k.key, `${option}.key`, '', 'iban');
        if (!keyword) fail(`${option}.key`, 'is required', 'add key: "iban"');
        const m = (k.mode ?? mode) as RedactMode;
        if (!MODES.includes(m)) fail(`${option}.mode`, `must be "mask", "remove" or "hmac", got ${describe(k.mode)}`, 'pick one of "mask", "remove", "hmac"');
        keywords.push({ keyword, mode: m });
      } else fail(option, `must be a keyword or { key, mode }, got ${describe(k)}`, 'use "iban" or { key: "email", mode: "hmac" }');
    });
  }
  // A keyword that flattens to an existing one with a different mode overrides it: user rules come last.
  const byFlat = new Map<string, { keyword: string; mode: RedactMode }>();
  for (const k of keywords) byFlat.set(k.keyword.toLowerCase().replace(/[^a-z0-9]/g, ''), k);

  const paths = resolvePathRules(r.paths, 'redact.paths', mode);

  const usesHmac = mode === 'hmac' || keywords.some((k) => k.mode === 'hmac') || paths.some((p) => p.mode === 'hmac');
  let hmacKey: string | Buffer | undefined;
  if (r.hmacKey !== undefined) {
    if (!(typeof r.hmacKey === 'string' || Buffer.isBuffer(r.hmacKey))) fail('redact.hmacKey', `must be a string or Buffer, got ${describe(r.hmacKey)}`, 'load it from a secret store, e.g. process.env.AUDIT_HMAC_KEY');
    hmacKey = r.hmacKey;
  }
  if (usesHmac && hmacKey === undefined) fail('redact.hmacKey', 'is required because a rule uses mode "hmac"', 'set redact.hmacKey to a secret of at least 16 bytes (e.g. process.env.AUDIT_HMAC_KEY)');
  if (usesHmac && Buffer.byteLength(hmacKey!) < 16) {
    // Not an error: Vault's published test vector uses the key "foo", and tests must be able to check it.
    process.emitWarning('options.redact.hmacKey is shorter than 16 bytes, so HMACs of guessable values can be brute-forced. Use a random key of 32 bytes.', {
      type: 'AuditkitWarning',
      code: 'AUDITKIT_INVALID_OPTION',
    });
  }

  const headerList = stringListAt(r.headers, 'redact.headers', [], '["x-session-token"]');
  const maskedHeaders = new Set([...(defaults ? DEFAULT_MASKED_HEADERS : []), ...headerList].map((h) => h.toLowerCase()));

  let fingerprintKey: string | Buffer | undefined;
  if (r.fingerprintKey !== undefined) {
    if (!(typeof r.fingerprintKey === 'string' || Buffer.isBuffer(r.fingerprintKey)) || Buffer.byteLength(r.fingerprintKey) < 16) {
      fail('redact.fingerprintKey', `must be a string or Buffer of at least 16 bytes, got ${describe(r.fingerprintKey)}`, 'load it from a secret store, e.g. process.env.AUDIT_FINGERPRINT_KEY, or leave it out to keep a generated key beside the trail');
    }
    fingerprintKey = r.fingerprintKey;
  }
  const queryNames = defaults ? DEFAULT_QUERY_KEYS.map(flattenKey) : [];
  const base: Omit<RedactionRules, 'paths'> = {
    mask,
    maskJson: JSON.stringify(mask),
    hmacKey,
    maxDepth,
    ...compileKeywords([...byFlat.values()]),
    keyCache: new Map(),
    shapeCache: new Map(),
    defaultMode: mode,
    queryShort: new Set(queryNames.filter((k) => k.length <= SHORT_KEYWORD)),
    queryLong: queryNames.filter((k) => k.length > SHORT_KEYWORD),
    headerWords: new Set(defaults ? DEFAULT_HEADER_WORDS : []),
    queryCache: new Map(),
    fingerprint: new Fingerprinter(fingerprintKey, fingerprintKey === undefined ? join(trail, FINGERPRINT_KEY_FILE) : undefined),
  };
  const redaction: RedactionRules = { ...base, paths: compilePaths(paths) };
  if (detectors) {
    // The detectors ask the rules about query names; the rules hold the detectors: tied after both exist.
    (redaction as { secrets?: RedactionRules['secrets'] }).secrets = { mask, isSecretQueryName: (name) => queryNameMode(redaction, name) !== undefined };
    (base as { secrets?: RedactionRules['secrets'] }).secrets = redaction.secrets;
  }
  return {
    redaction,
    routeRedaction: resolveRouteRedaction(r.routes, mode, paths, base, patterns),
    maskedHeaders,
  };
}

function resolvePathRules(input: unknown, option: string, mode: RedactMode): Array<{ path: string; mode: RedactMode }> {
  const paths: Array<{ path: string; mode: RedactMode }> = [];
  if (input === undefined) return paths;
  if (!Array.isArray(input)) fail(option, `must be an array, got ${describe(input)}`, `use ["body.card.number", { path: "query.email", mode: "hmac" }]`);
  input.forEach((p: unknown, i: number) => {
    const at = `${option}[${i}]`;
    let path: string;
    let m: RedactMode = mode;
    if (typeof p === 'string') path = p;
    else if (isPlainObject(p)) {
      onlyKeys(p, ['path', 'mode'], at);
      path = stringAt(p.path, `${at}.path`, '', 'body.card.number');
      m = (p.mode ?? mode) as RedactMode;
      if (!MODES.includes(m)) fail(`${at}.mode`, `must be "mask", "remove" or "hmac", got ${describe(p.mode)}`, 'pick one of "mask", "remove", "hmac"');
    } else fail(at, `must be a path or { path, mode }, got ${describe(p)}`, 'use "body.card.number"');
    if (!parsePath(path)) {
      fail(at, `${describe(path)} is not a path into the record`, 'start with body, query, bindings, meta, headers, target, state or args, e.g. "body.card.number"');
    }
    paths.push({ path, mode: m });
  });
  return paths;
}

/** `redact.routes`: each becomes the base rules plus its own paths, sharing the base's caches. */
function resolveRouteRedaction(
  input: unknown,
  mode: RedactMode,
  basePaths: ReadonlyArray<{ path: string; mode: RedactMode }>,
  base: Omit<RedactionRules, 'paths'>,
  patterns: RoutePatterns,
): RouteRedaction[] {
  if (input === undefined) return [];
  if (!Array.isArray(input)) fail('redact.routes', `must be an array, got ${describe(input)}`, `use [{ route: "/rpc", body: ["jsonrpc", "id", "method"] }]`);
  return input.map((rule: unknown, i: number) => {
    const at = `redact.routes[${i}]`;
    if (!isPlainObject(rule)) fail(at, `must be { route, methods?, body?, paths? }, got ${describe(rule)}`, `use { route: "/webhooks/:id", paths: ["bindings.id"] }`);
    onlyKeys(rule, ['route', 'methods', 'body', 'paths'], at);
    const route = stringAt(rule.route, `${at}.route`, '', '/webhooks/:id');
    if (!route) fail(`${at}.route`, 'is required', 'add route: "/webhooks/:id"');
    patterns.check(route, `${at}.route`);
    const methods = rule.methods === undefined ? undefined : new Set(stringListAt(rule.methods, `${at}.methods`, [], '["POST"]').map((m) => m.toUpperCase()));
    const body = rule.body === undefined ? undefined : stringListAt(rule.body, `${at}.body`, [], '["operationName", "variables"]');
    const paths = resolvePathRules(rule.paths, `${at}.paths`, mode);
    if (base.hmacKey === undefined && paths.some((p) => p.mode === 'hmac')) fail('redact.hmacKey', `is required because ${at}.paths uses mode "hmac"`, 'set redact.hmacKey to a secret of at least 16 bytes (e.g. process.env.AUDIT_HMAC_KEY)');
    if (body === undefined && paths.length === 0) fail(at, 'has neither body nor paths, so it changes nothing', 'add body: [keys to keep] or paths: ["bindings.id"]');
    const allow: Array<{ path: string; mode: RedactMode | 'keep' }> = body === undefined ? [] : [{ path: 'body.*', mode: base.defaultMode ?? 'mask' }, ...body.map((k) => ({ path: `body.${k}`, mode: 'keep' as const }))];
    const pattern = patterns.compile(route);
    return {
      route,
      matches: (operationId: string, method: string) => (methods === undefined || methods.has(method.toUpperCase())) && pattern.matches(operationId),
      rules: { ...base, paths: compilePaths([...basePaths, ...allow, ...paths]) },
    };
  });
}
