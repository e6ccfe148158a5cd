import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import winston from 'winston';
import type TransportStream from 'winston-transport';
import { AuthDetector, type AuthOptions, type HookFailure } from './auth/auth.js';
import { AuditConfigError } from './shared/errors.js';
import type { AuditFacts } from './capture/facts.js';
import { AuditFileTransport, DEFAULT_AUDIT_FILE, type AuditFileOptions } from './delivery/file-transport.js';
import { DEFAULT_HEADER_WORDS, DEFAULT_MASKED_HEADERS, DEFAULT_QUERY_KEYS, DEFAULT_REDACT_KEYS } from './redact/names.js';
import { Fingerprinter, FINGERPRINT_KEY_FILE } from './redact/fingerprint.js';
import { checkPublicKey } from './auth/jwt.js';
import { Policy, type RouteRule } from './policy/policy.js';
import { levelAt } from './policy/route-level.js';
import type { DetailLevel } from './model/record.js';
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
} from './redact/redact.js';
import { Rfc3339Formatter, parseTimeOffset, type TimeOffset } from './shared/clock.js';
import { compileSourceIp, type SourceIpResolver, type TrustProxy } from './capture/source-ip.js';
import { compilePattern, isGlob } from './policy/route-pattern.js';
import { levelNamesFor } from './delivery/winston-targets.js';
import { loggerLevelProblem, transportLevelProblem } from './delivery/winston-levels.js';
import type { SinkMode } from './delivery/channel.js';
import { compileSelect, type RecordSelector, type SinkSelect } from './delivery/sink-select.js';
import { compileFields, type SinkFields, type SinkFieldValue } from './delivery/sink-fields.js';
import {
  booleanAt,
  describe,
  fail,
  functionAt,
  integerAt,
  isPlainObject,
  objectAt,
  onlyKeys,
  stringAt,
  stringListAt,
  type Obj,
} from './shared/validate.js';

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

export interface LimitOptions {
  /** Approximate cap on the recorded request body, in bytes. Default 8192. */
  bodyBytes?: number;
  /** Approximate cap on handler meta, in bytes. Default 8192. */
  metaBytes?: number;
  /** Deepest nesting recorded. Default 32. */
  depth?: number;
  /** user_agent is cut to this many characters (Kubernetes cuts at 1024). Default 1024. */
  userAgent?: number;
  /** A record larger than this loses its body and meta; still larger, it is dropped and counted (Kubernetes: 100 KB). Default 102400. */
  recordBytes?: number;
}

export interface QueueOptions {
  /** Records a sink may hold waiting to be written before it drops. Default 10000 (Kubernetes' batch buffer). */
  max?: number;
  /** Records handed to a transport at once. Default 256. */
  batch?: number;
  /** First retry delay after a failed write; doubles up to retryMaxMs. Default 100. */
  retryMs?: number;
  /** Longest retry delay. Default 5000. */
  retryMaxMs?: number;
  /** A batch not confirmed within this many ms counts as failed. Also how long blocking and strict requests wait. Default 10000. */
  writeTimeoutMs?: number;
}

export interface SpoolSettings {
  /** Directory under which each spooled sink gets its own folder. Default `./log/spool`. */
  dir?: string;
  /** Most bytes one sink's spool may hold. Default 256 MiB. */
  maxBytes?: number;
}

export interface SinkOptions {
  transport: TransportStream;
  /**
   * `async` (default): the request never waits. `blocking`: the response waits until the record is
   * written (or spooled); failures are reported, not thrown. `strict`: as blocking, and the request is
   * refused with 503 when its record cannot be durably accepted.
   */
  mode?: SinkMode;
  /** Where records wait while the sink is down. On by default for network transports; `false` turns it off. */
  spool?: false | SpoolSettings;
  /** This sink's own queue settings. */
  queue?: QueueOptions;
  /** Which records this sink takes (all when absent): `{ result: 'failure' }` for a pager. See docs/delivery.md. */
  select?: SinkSelect;
  /** Static fields added to every record this sink writes: `{ environment: 'prod', cluster: 'eu-1' }`. Redacted; names a record uses are refused. */
  fields?: Readonly<Record<string, SinkFieldValue>>;
}

export interface AuditOptions {
  /** Winston transports to hand records to. Each gets its own queue. Shorthand for `sinks`. */
  transports?: readonly TransportStream[];
  /** Transports with a delivery mode, spool and queue of their own. */
  sinks?: ReadonlyArray<TransportStream | SinkOptions>;
  /**
   * For blocking and strict sinks: does a record need `all` of them (default) or `any` one? Default
   * `all`, as Kubernetes: each sink is there for a reason, and with spooling a network outage does not
   * fail requests anyway, so `all` costs availability only when a local disk fails.
   */
  success?: 'all' | 'any';
  /** Defaults for sink spools. */
  spool?: SpoolSettings;
  /** A Winston logger to hand records to (its formats and transports apply). Lent: `close()` never ends it. */
  logger?: winston.Logger;
  /** With neither transports nor logger: the JSON-lines file. Default `./log/audit.log`. */
  file?: string | AuditFileOptions;
  /** The `node` field. Default: the host name. */
  node?: string;
  /** Offset for `ts`: `system` (default), `utc`, or `+02:00` style. */
  timeOffset?: TimeOffset;
  /** The `from` field, or a function that classifies a request (`dashboard`, `rest_api`, ...). Default `rest_api`. */
  from?: string | ((facts: AuditFacts) => string);
  /** Which proxies may set X-Forwarded-For: false (default), true, a hop count, addresses/CIDRs, or a function. */
  trustProxy?: TrustProxy;
  /** Header carrying the request id in and out. Default `x-request-id`. */
  requestIdHeader?: string;
  /** Methods not audited unless a route says so. Default GET, HEAD, OPTIONS. */
  skipMethods?: readonly string[];
  /** Per-route rules, first match wins: `{ route: '/reports/:id', methods: ['GET'], audit: true, level: 'request-response' }`. */
  routes?: readonly RouteRule[];
  /** How much an audited request's record holds unless its route says otherwise: `metadata`, `request` (default) or `request-response`. */
  level?: DetailLevel;
  /** Skip `highFrequencyRoutes`. Default true. */
  ignoreHighFrequency?: boolean;
  /** Templates or globs skipped while ignoreHighFrequency is on. */
  highFrequencyRoutes?: readonly string[];
  /** Return true to skip a request's record. Runs after the rules above. */
  skip?: (facts: AuditFacts) => boolean;
  /** Derives operation_type from operation_id. Default: the first path segment. */
  operationType?: (operationId: string) => string;
  redact?: RedactOptions;
  limits?: LimitOptions;
  auth?: AuthOptions;
  queue?: QueueOptions;
  /** Shorthand: every sink without its own mode is `strict` (Vault's fail-closed). */
  strict?: boolean;
  /** Write `audit.start` (with a digest of this configuration) and `audit.close` records. Default false. */
  lifecycle?: boolean;
}

export const DEFAULT_SKIP_METHODS = ['GET', 'HEAD', 'OPTIONS'];

/** Health checks and scrapes: frequent, and nothing an auditor asks about. */
export const DEFAULT_HIGH_FREQUENCY_ROUTES = ['/health', '/healthz', '/livez', '/readyz', '/ping', '/metrics', '/**/heartbeat'];

/** Keys whose values never reach a sink, at any depth: the list lives with the other name lists (redact/names.ts). */
export { DEFAULT_REDACT_KEYS };

const MODES: readonly RedactMode[] = ['mask', 'remove', 'hmac'];

export interface ResolvedSink {
  readonly kind: 'transport' | 'logger';
  readonly transport?: TransportStream;
  readonly logger?: winston.Logger;
  readonly mode: SinkMode;
  /** `undefined`: use the default for the transport (spool network transports). */
  readonly spool: false | Required<SpoolSettings> | undefined;
  readonly queue: Required<QueueOptions>;
  readonly select: RecordSelector | undefined;
  readonly fields: SinkFields | undefined;
}

export interface ResolvedOptions {
  readonly sinks: readonly ResolvedSink[];
  readonly success: 'all' | 'any';
  readonly spool: Required<SpoolSettings>;
  readonly node: string;
  readonly formatter: Rfc3339Formatter;
  readonly from: string | ((facts: AuditFacts) => string);
  readonly sourceIp: SourceIpResolver;
  readonly requestIdHeader: string;
  readonly policy: Policy;
  readonly skip: ((facts: AuditFacts) => boolean) | undefined;
  readonly redaction: RedactionRules;
  /** `redact.routes`: rule sets for some routes, first match wins; `redaction` for every other. */
  readonly routeRedaction: readonly RouteRedaction[];
  readonly maskedHeaders: ReadonlySet<string>;
  readonly limits: Required<LimitOptions>;
  readonly auth: AuthDetector;
  readonly queue: Required<QueueOptions>;
  readonly lifecycle: boolean;
}

/** Every top-level option name; docs/options.md must list each (a test checks). */
export const OPTION_NAMES = [
  'transports',
  'sinks',
  'success',
  'spool',
  'logger',
  'file',
  'node',
  'timeOffset',
  'from',
  'trustProxy',
  'requestIdHeader',
  'skipMethods',
  'routes',
  'level',
  'ignoreHighFrequency',
  'highFrequencyRoutes',
  'skip',
  'operationType',
  'redact',
  'limits',
  'auth',
  'queue',
  'strict',
  'lifecycle',
] as const;

/**
 * Validates options once, at construction, and turns them into the frozen form the request path
 * uses. Every mistake throws an AuditConfigError naming the option and the fix.
 */
export function resolveOptions(input: AuditOptions | undefined, onHookFailure: HookFailure): ResolvedOptions {
  const raw = (input === undefined ? {} : input) as Obj;
  if (!isPlainObject(raw)) fail('(root)', `options must be an object, got ${describe(raw)}`, 'pass an options object, or nothing');
  onlyKeys(raw, OPTION_NAMES, '');

  const limitsIn = objectAt(raw.limits, 'limits') ?? {};
  onlyKeys(limitsIn, ['bodyBytes', 'metaBytes', 'depth', 'userAgent', 'recordBytes'], 'limits');
  const limits = {
    bodyBytes: integerAt(limitsIn.bodyBytes, 'limits.bodyBytes', 8192, 64, 10 * 1024 * 1024),
    metaBytes: integerAt(limitsIn.metaBytes, 'limits.metaBytes', 8192, 64, 10 * 1024 * 1024),
    depth: integerAt(limitsIn.depth, 'limits.depth', 32, 1, 256),
    userAgent: integerAt(limitsIn.userAgent, 'limits.userAgent', 1024, 16, 65536),
    recordBytes: integerAt(limitsIn.recordBytes, 'limits.recordBytes', 100 * 1024, 1024, 64 * 1024 * 1024),
  };

  const queue = resolveQueue(raw.queue, 'queue', DEFAULT_QUEUE);
  const spool = resolveSpool(raw.spool, 'spool', DEFAULT_SPOOL) as Required<SpoolSettings>;
  const strict = booleanAt(raw.strict, 'strict', false);
  const success = raw.success === undefined ? 'all' : raw.success;
  if (success !== 'all' && success !== 'any') fail('success', `must be "all" or "any", got ${describe(success)}`, 'use "all" (every blocking/strict sink) or "any" (at least one)');

  const timeOffset = stringAt(raw.timeOffset, 'timeOffset', 'system', '+02:00');
  try {
    parseTimeOffset(timeOffset);
  } catch {
    fail('timeOffset', `must be "system", "utc" or an offset like "+02:00", got ${describe(timeOffset)}`, 'use "system", "utc" or "+HH:MM"');
  }

  const from = raw.from === undefined ? 'rest_api' : raw.from;
  if (typeof from !== 'function' && (typeof from !== 'string' || from.length === 0)) {
    fail('from', `must be a string or a function, got ${describe(from)}`, 'use "rest_api", "dashboard", or (facts) => string');
  }

  const redaction = resolveRedaction(objectAt(raw.redact, 'redact'), limits.depth, trailDir(raw));
  const resolved = {
    node: stringAt(raw.node, 'node', hostname(), 'api-1'),
    formatter: new Rfc3339Formatter(timeOffset as TimeOffset),
    from: from as string | ((facts: AuditFacts) => string),
    sourceIp: resolveTrustProxy(raw.trustProxy),
    requestIdHeader: resolveRequestIdHeader(raw.requestIdHeader),
    policy: resolvePolicy(raw),
    skip: functionAt<(facts: AuditFacts) => boolean>(raw.skip, 'skip', '(facts) => boolean'),
    ...redaction,
    limits,
    auth: resolveAuth(objectAt(raw.auth, 'auth'), onHookFailure, redaction.redaction.fingerprint),
    queue,
    success: success as 'all' | 'any',
    spool,
    lifecycle: booleanAt(raw.lifecycle, 'lifecycle', false),
  };
  // Sinks last: opening the default file is a side effect, so it waits until everything else is valid.
  return Object.freeze({ ...resolved, sinks: resolveSinks(raw, queue, strict ? 'strict' : 'async', resolved.redaction) });
}

const DEFAULT_QUEUE: Required<QueueOptions> = { max: 10_000, batch: 256, retryMs: 100, retryMaxMs: 5000, writeTimeoutMs: 10_000 };
const DEFAULT_SPOOL: Required<SpoolSettings> = { dir: './log/spool', maxBytes: 256 * 1024 * 1024 };
const SINK_MODES: readonly SinkMode[] = ['async', 'blocking', 'strict'];

function resolveQueue(value: unknown, option: string, base: Required<QueueOptions>): Required<QueueOptions> {
  const q = objectAt(value, option) ?? {};
  onlyKeys(q, ['max', 'batch', 'retryMs', 'retryMaxMs', 'writeTimeoutMs'], option);
  return {
    max: integerAt(q.max, `${option}.max`, base.max, 1, 10_000_000),
    batch: integerAt(q.batch, `${option}.batch`, base.batch, 1, 100_000),
    retryMs: integerAt(q.retryMs, `${option}.retryMs`, base.retryMs, 1, 600_000),
    retryMaxMs: integerAt(q.retryMaxMs, `${option}.retryMaxMs`, base.retryMaxMs, 1, 3_600_000),
    writeTimeoutMs: integerAt(q.writeTimeoutMs, `${option}.writeTimeoutMs`, base.writeTimeoutMs, 10, 3_600_000),
  };
}

function resolveSpool(value: unknown, option: string, base: Required<SpoolSettings>): Required<SpoolSettings> | false {
  if (value === false) return false;
  const s = objectAt(value, option) ?? {};
  onlyKeys(s, ['dir', 'maxBytes'], option);
  return {
    dir: stringAt(s.dir, `${option}.dir`, base.dir, './log/spool'),
    maxBytes: integerAt(s.maxBytes, `${option}.maxBytes`, base.maxBytes, 64 * 1024, Number.MAX_SAFE_INTEGER),
  };
}

function resolveSinks(raw: Obj, queue: Required<QueueOptions>, defaultMode: SinkMode, redaction: RedactionRules): ResolvedSink[] {
  const sinks: ResolvedSink[] = [];
  const addTransport = (t: unknown, option: string, settings: Obj | undefined): void => {
    if (!isTransport(t)) {
      fail(option, `is not a Winston transport (got ${describe(t)})`, 'pass an instance such as new winston.transports.Console()');
    }
    const levelProblem = transportLevelProblem(t as { level?: unknown; silent?: unknown }, winston.config.npm.levels);
    if (levelProblem) fail(option, levelProblem, 'remove the level or set it to "info" (and leave silent unset)');
    const where = settings ? option.replace(/\.transport$/, '') : option;
    const mode = (settings?.mode ?? defaultMode) as SinkMode;
    if (!SINK_MODES.includes(mode)) fail(`${where}.mode`, `must be "async", "blocking" or "strict", got ${describe(settings?.mode)}`, 'pick one of "async", "blocking", "strict"');
    sinks.push({
      kind: 'transport',
      transport: t as TransportStream,
      mode,
      spool: settings?.spool === undefined ? undefined : resolveSpool(settings.spool, `${where}.spool`, DEFAULT_SPOOL),
      queue: settings?.queue === undefined ? queue : resolveQueue(settings.queue, `${where}.queue`, queue),
      select: compileSelect(settings?.select, `${where}.select`),
      fields: compileFields(settings?.fields, `${where}.fields`, redaction),
    });
  };
  if (raw.transports !== undefined) {
    if (!Array.isArray(raw.transports) || raw.transports.length === 0) {
      fail('transports', `must be a non-empty array of Winston transports, got ${describe(raw.transports)}`, 'pass [new winston.transports.File({ filename })], or leave it out for ./log/audit.log');
    }
    raw.transports.forEach((t: unknown, i: number) => addTransport(t, `transports[${i}]`, undefined));
  }
  if (raw.sinks !== undefined) {
    if (!Array.isArray(raw.sinks) || raw.sinks.length === 0) {
      fail('sinks', `must be a non-empty array, got ${describe(raw.sinks)}`, "use [{ transport, mode: 'strict' }] or a list of transports");
    }
    raw.sinks.forEach((entry: unknown, i: number) => {
      if (isPlainObject(entry)) {
        onlyKeys(entry, ['transport', 'mode', 'spool', 'queue', 'select', 'fields'], `sinks[${i}]`);
        addTransport(entry.transport, `sinks[${i}].transport`, entry);
      } else addTransport(entry, `sinks[${i}]`, undefined);
    });
  }
  if (raw.logger !== undefined) {
    const logger = raw.logger as winston.Logger;
    if (!logger || typeof logger.write !== 'function' || typeof logger.end !== 'function' || !isPlainObject(logger.levels ?? null)) {
      fail('logger', 'is not a Winston logger', 'pass winston.createLogger({ ... })');
    }
    let info: string;
    try {
      info = levelNamesFor(logger.levels).info;
    } catch {
      fail('logger', 'has no level names for info, warning and error', 'create it with winston.config.npm.levels or winston.config.syslog.levels');
    }
    const levelProblem = loggerLevelProblem(logger as never, info);
    if (levelProblem) {
      fail('logger', levelProblem, `create the logger (and at least one of its transports) at level "${info}" or lower, and add its transports before passing it`);
    }
    sinks.push({ kind: 'logger', logger, mode: defaultMode, spool: false, queue, select: undefined, fields: undefined });
  }
  if (sinks.length > 0) {
    if (raw.file !== undefined) fail('file', 'is only used when neither transports, sinks nor logger is given', 'add new AuditFileTransport({ path }) to transports instead');
    return sinks;
  }
  let fileOptions: AuditFileOptions;
  if (raw.file === undefined) fileOptions = {};
  else if (typeof raw.file === 'string' && raw.file.length > 0) fileOptions = { path: raw.file };
  else if (isPlainObject(raw.file)) fileOptions = raw.file as AuditFileOptions;
  else fail('file', `must be a path or file sink options, got ${describe(raw.file)}`, 'use "./log/audit.log" or { path, maxSize, maxFiles }');
  sinks.push({ kind: 'transport', transport: new AuditFileTransport(fileOptions, 'file'), mode: defaultMode, spool: false, queue, select: undefined, fields: undefined });
  return sinks;
}

function isTransport(t: unknown): boolean {
  return (
    t !== null &&
    typeof t === 'object' &&
    typeof (t as TransportStream).write === 'function' &&
    typeof (t as TransportStream).log === 'function' &&
    typeof (t as TransportStream).end === 'function'
  );
}

function resolveTrustProxy(value: unknown): SourceIpResolver {
  if (value === undefined || value === false) return compileSourceIp(false);
  if (value === true || typeof value === 'function') return compileSourceIp(value as TrustProxy);
  if (typeof value === 'number') {
    integerAt(value, 'trustProxy', 1, 0, 64);
    return compileSourceIp(value);
  }
  if (typeof value === 'string' || Array.isArray(value)) {
    try {
      return compileSourceIp(value as TrustProxy);
    } catch (err) {
      fail('trustProxy', `${(err as Error).message}`, 'list proxy addresses or CIDRs such as ["10.0.0.0/8", "loopback"]');
    }
  }
  fail('trustProxy', `must be false, true, a hop count, addresses/CIDRs or a function, got ${describe(value)}`, 'use ["loopback"] or 1');
}

function resolveRequestIdHeader(value: unknown): string {
  const header = stringAt(value, 'requestIdHeader', 'x-request-id', 'x-request-id');
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header)) fail('requestIdHeader', `is not a valid header name: ${describe(header)}`, 'use a name such as "x-request-id"');
  return header.toLowerCase();
}

function resolvePolicy(raw: Obj): Policy {
  const skipMethods = stringListAt(raw.skipMethods, 'skipMethods', DEFAULT_SKIP_METHODS, '["GET", "HEAD", "OPTIONS"]');
  const highFrequency = stringListAt(raw.highFrequencyRoutes, 'highFrequencyRoutes', DEFAULT_HIGH_FREQUENCY_ROUTES, '["/health", "/telemetry/**"]');
  highFrequency.forEach((p, i) => checkRoutePattern(p, `highFrequencyRoutes[${i}]`));
  const routes: RouteRule[] = [];
  if (raw.routes !== undefined) {
    if (!Array.isArray(raw.routes)) fail('routes', `must be an array of rules, got ${describe(raw.routes)}`, "use [{ route: '/reports/:id', methods: ['GET'], audit: true }]");
    raw.routes.forEach((rule: unknown, i: number) => {
      const option = `routes[${i}]`;
      const r = objectAt(rule, option)!;
      if (r === undefined) fail(option, 'must be an object', "use { route: '/users/:id', audit: false }");
      onlyKeys(r, ['route', 'methods', 'audit', 'operationType', 'level'], option);
      const route = stringAt(r.route, `${option}.route`, '', '/users/:id');
      if (route === '') fail(`${option}.route`, 'is required', "add route: '/users/:id' (a template or a glob)");
      checkRoutePattern(route, `${option}.route`);
      const audit = r.audit === undefined ? undefined : booleanAt(r.audit, `${option}.audit`, true);
      const operationType = r.operationType === undefined ? undefined : stringAt(r.operationType, `${option}.operationType`, '', 'users');
      const level = levelAt(r.level, `${option}.level`, true);
      if (audit === undefined && operationType === undefined && level === undefined) {
        fail(option, 'says nothing: it has neither audit, operationType nor level', "add audit: true, audit: false, operationType or level: 'metadata'");
      }
      if (level === 'none' && audit === true) fail(option, "says both audit: true and level: 'none'", "keep one: level 'none' records nothing");
      const methods = r.methods === undefined ? undefined : stringListAt(r.methods, `${option}.methods`, [], '["POST"]').map((m) => m.toUpperCase());
      // A level says how much, not whether: on methods skipped by default it would never apply.
      if (level !== undefined && level !== 'none' && audit === undefined && methods !== undefined && methods.every((m) => skipMethods.some((s) => s.toUpperCase() === m))) {
        fail(option, `sets level '${level}' for ${methods.join(', ')}, which ${methods.length > 1 ? 'are' : 'is'} not audited by default, so it would never apply`, 'add audit: true to the rule');
      }
      routes.push({ route, methods, audit, operationType, level });
    });
  }
  return new Policy({
    skipMethods,
    routes,
    highFrequency,
    ignoreHighFrequency: booleanAt(raw.ignoreHighFrequency, 'ignoreHighFrequency', true),
    operationType: functionAt<(id: string) => string>(raw.operationType, 'operationType', '(operationId) => string'),
    level: levelAt(raw.level, 'level', false),
  });
}

function checkRoutePattern(pattern: string, option: string): void {
  if (!pattern.startsWith('/') && !pattern.startsWith('*')) {
    fail(option, `must start with "/" (a route template) or "*" (a glob), got ${describe(pattern)}`, 'write it as the route is declared, e.g. "/users/:id"');
  }
  if (isGlob(pattern) && /\*{3,}/.test(pattern)) fail(option, 'has more than two * in a row', 'use * for one segment, ** for any number');
}

/** Where the trail is written, for the fingerprint key kept beside it: the first file sink's directory. */
function trailDir(raw: Obj): string {
  const sinks = [...(Array.isArray(raw.sinks) ? raw.sinks : []), ...(Array.isArray(raw.transports) ? raw.transports : [])];
  for (const s of sinks) {
    const t = isPlainObject(s) ? s.transport : s;
    if (t instanceof AuditFileTransport) return dirname(t.path);
  }
  if (typeof raw.file === 'string' && raw.file.length > 0) return dirname(raw.file);
  if (isPlainObject(raw.file) && typeof raw.file.path === 'string' && raw.file.path.length > 0) return dirname(raw.file.path);
  return dirname(DEFAULT_AUDIT_FILE);
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
function resolveRouteRedaction(input: unknown, mode: RedactMode, basePaths: ReadonlyArray<{ path: string; mode: RedactMode }>, base: Omit<RedactionRules, 'paths'>): RouteRedaction[] {
  if (input === undefined) return [];
  if (!Array.isArray(input)) fail('redact.routes', `must be an array, got ${describe(input)}`, `use [{ route: "/rpc", body: ["jsonrpc", "id", "method"] }]`);
  return input.map((rule: unknown, i: number) => {
    const at = `redact.routes[${i}]`;
    if (!isPlainObject(rule)) fail(at, `must be { route, methods?, body?, paths? }, got ${describe(rule)}`, `use { route: "/webhooks/:id", paths: ["bindings.id"] }`);
    onlyKeys(rule, ['route', 'methods', 'body', 'paths'], at);
    const route = stringAt(rule.route, `${at}.route`, '', '/webhooks/:id');
    if (!route) fail(`${at}.route`, 'is required', 'add route: "/webhooks/:id"');
    checkRoutePattern(route, `${at}.route`);
    const methods = rule.methods === undefined ? undefined : new Set(stringListAt(rule.methods, `${at}.methods`, [], '["POST"]').map((m) => m.toUpperCase()));
    const body = rule.body === undefined ? undefined : stringListAt(rule.body, `${at}.body`, [], '["operationName", "variables"]');
    const paths = resolvePathRules(rule.paths, `${at}.paths`, mode);
    if (base.hmacKey === undefined && paths.some((p) => p.mode === 'hmac')) fail('redact.hmacKey', `is required because ${at}.paths uses mode "hmac"`, 'set redact.hmacKey to a secret of at least 16 bytes (e.g. process.env.AUDIT_HMAC_KEY)');
    if (body === undefined && paths.length === 0) fail(at, 'has neither body nor paths, so it changes nothing', 'add body: [keys to keep] or paths: ["bindings.id"]');
    const allow: Array<{ path: string; mode: RedactMode | 'keep' }> = body === undefined ? [] : [{ path: 'body.*', mode: base.defaultMode ?? 'mask' }, ...body.map((k) => ({ path: `body.${k}`, mode: 'keep' as const }))];
    const pattern = compilePattern(route);
    return {
      route,
      matches: (operationId: string, method: string) => (methods === undefined || methods.has(method.toUpperCase())) && pattern.matches(operationId),
      rules: { ...base, paths: compilePaths([...basePaths, ...allow, ...paths]) },
    };
  });
}

function resolveRedaction(
  input: Obj | undefined,
  maxDepth: number,
  trail: string,
): { redaction: RedactionRules; routeRedaction: RouteRedaction[]; maskedHeaders: ReadonlySet<string> } {
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
    routeRedaction: resolveRouteRedaction(r.routes, mode, paths, base),
    maskedHeaders,
  };
}

function resolveAuth(input: Obj | undefined, onHookFailure: HookFailure, fingerprint: Fingerprinter | undefined): AuthDetector {
  const a = input ?? {};
  onlyKeys(a, ['jwt', 'apiKey', 'session'], 'auth');
  const jwt = objectAt(a.jwt, 'auth.jwt');
  if (jwt) {
    onlyKeys(jwt, ['claim', 'verify'], 'auth.jwt');
    if (jwt.claim !== undefined && typeof jwt.claim !== 'string') stringListAt(jwt.claim, 'auth.jwt.claim', [], '["preferred_username", "sub"]');
    if (typeof jwt.claim === 'string' && jwt.claim.length === 0) fail('auth.jwt.claim', 'is empty', 'use "sub" or "preferred_username"');
    const verify = objectAt(jwt.verify, 'auth.jwt.verify');
    if (verify) checkJwtVerify(verify);
  }
  const apiKey = objectAt(a.apiKey, 'auth.apiKey');
  if (apiKey) {
    onlyKeys(apiKey, ['headers', 'resolve'], 'auth.apiKey');
    stringListAt(apiKey.headers, 'auth.apiKey.headers', [], '["x-api-key"]');
    functionAt(apiKey.resolve, 'auth.apiKey.resolve', '(key) => name | undefined');
  }
  const session = objectAt(a.session, 'auth.session');
  if (session) {
    onlyKeys(session, ['cookies'], 'auth.session');
    stringListAt(session.cookies, 'auth.session.cookies', [], '["connect.sid"]');
  }
  return new AuthDetector(a as AuthOptions, onHookFailure, fingerprint);
}

function checkJwtVerify(v: Obj): void {
  const o = 'auth.jwt.verify';
  onlyKeys(v, ['secret', 'publicKey', 'jwksUrl', 'issuer', 'audience', 'algorithms', 'clockTolerance'], o);
  const sources = ['secret', 'publicKey', 'jwksUrl'].filter((k) => v[k] !== undefined);
  if (sources.length !== 1) {
    fail(o, sources.length === 0 ? 'has no key to verify with' : `has ${sources.join(' and ')}; only one key source can apply`, 'give exactly one of secret, publicKey or jwksUrl');
  }
  if (v.secret !== undefined) {
    const ok = (typeof v.secret === 'string' && v.secret.length > 0) || v.secret instanceof Uint8Array;
    if (!ok) fail(`${o}.secret`, `must be a string or Uint8Array, got ${describe(v.secret)}`, 'load the shared secret from your secret store');
    if (Buffer.byteLength(v.secret as string) < 32) fail(`${o}.secret`, 'is shorter than 32 bytes (RFC 7518 requires at least the hash size for HS256)', 'use a random secret of 32 bytes or more');
  }
  if (v.publicKey !== undefined) {
    const problem = checkPublicKey(v.publicKey);
    if (problem) fail(`${o}.publicKey`, problem, 'pass the SPKI PEM, a public JWK, or a KeyObject');
  }
  if (v.jwksUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(String(v.jwksUrl));
    } catch {
      url = undefined;
    }
    if (!url || !/^https?:$/.test(url.protocol)) fail(`${o}.jwksUrl`, `is not an http(s) URL: ${describe(String(v.jwksUrl))}`, 'use the issuer\'s JWKS endpoint, e.g. https://issuer/.well-known/jwks.json');
  }
  for (const claim of ['issuer', 'audience'] as const) {
    const value = v[claim];
    const ok = (typeof value === 'string' && value.length > 0) || (Array.isArray(value) && value.length > 0 && value.every((x) => typeof x === 'string' && x.length > 0));
    if (!ok) {
      fail(`${o}.${claim}`, `is required when verifying, got ${describe(value)}`, `set it to the expected "${claim === 'issuer' ? 'iss' : 'aud'}" value: without it a token minted for another service would verify`);
    }
  }
  if (v.algorithms !== undefined) {
    const algs = stringListAt(v.algorithms, `${o}.algorithms`, [], '["RS256"]');
    if (algs.some((a) => a.toLowerCase() === 'none')) fail(`${o}.algorithms`, 'includes "none"', 'remove "none": unsigned tokens can never verify');
  }
  if (v.clockTolerance !== undefined) integerAt(v.clockTolerance, `${o}.clockTolerance`, 0, 0, 3600);
}
