import type winston from 'winston';
import type TransportStream from 'winston-transport';
import type { AuthDetector, AuthOptions, HookFailure } from './auth/auth.js';
import { resolveAuth } from './auth/options.js';
import type { AuditFacts } from './capture/facts.js';
import { resolveRequestIdHeader, resolveTrustProxy } from './capture/options.js';
import type { SourceIpResolver, TrustProxy } from './capture/source-ip.js';
import type { AuditFileOptions } from './delivery/file-options.js';
import {
  DEFAULT_QUEUE,
  DEFAULT_SPOOL,
  resolveDefaultMode,
  resolveQueue,
  resolveSinks,
  resolveSpool,
  resolveSuccess,
  trailDir,
  type QueueOptions,
  type ResolvedSink,
  type SinkOptions,
  type SpoolSettings,
} from './delivery/options.js';
import type { DetailLevel } from './model/record.js';
import { checkRoutePattern, resolvePolicy, resolveSkip } from './policy/options.js';
import type { Policy, RouteRule } from './policy/policy.js';
import { compilePattern } from './policy/route-pattern.js';
import { resolveFrom, resolveLimits, resolveNode, resolveTimeOffset, type LimitOptions, type RecordSettings } from './record/options.js';
import { resolveRedaction, type RedactOptions } from './redact/options.js';
import { Rfc3339Formatter, type TimeOffset } from './shared/clock.js';
import { booleanAt, describe, fail, isPlainObject, objectAt, onlyKeys, type Obj } from './shared/validate.js';

/**
 * The options as a whole: their top-level shape, and the order they are checked in. Each concern
 * resolves and checks its own options next to its code (`redact/options.ts`, `delivery/options.ts`,
 * `policy/options.ts`, ...); this file only composes them. A new option goes into its concern's file,
 * with its name added to AuditOptions and OPTION_NAMES here.
 */

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

export interface ResolvedOptions extends RecordSettings {
  readonly sinks: readonly ResolvedSink[];
  readonly success: 'all' | 'any';
  readonly spool: Required<SpoolSettings>;
  readonly from: string | ((facts: AuditFacts) => string);
  readonly sourceIp: SourceIpResolver;
  readonly requestIdHeader: string;
  readonly policy: Policy;
  readonly skip: ((facts: AuditFacts) => boolean) | undefined;
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
 * uses. Every mistake throws an AuditConfigError naming the option and the fix. The order of the
 * checks below is the order a user with several mistakes meets them in.
 */
export function resolveOptions(input: AuditOptions | undefined, onHookFailure: HookFailure): ResolvedOptions {
  const raw = (input === undefined ? {} : input) as Obj;
  if (!isPlainObject(raw)) fail('(root)', `options must be an object, got ${describe(raw)}`, 'pass an options object, or nothing');
  onlyKeys(raw, OPTION_NAMES, '');

  const limits = resolveLimits(raw.limits);
  const queue = resolveQueue(raw.queue, 'queue', DEFAULT_QUEUE);
  const spool = resolveSpool(raw.spool, 'spool', DEFAULT_SPOOL) as Required<SpoolSettings>;
  const defaultMode = resolveDefaultMode(raw.strict);
  const success = resolveSuccess(raw.success);
  const timeOffset = resolveTimeOffset(raw.timeOffset);
  const from = resolveFrom(raw.from);

  const redaction = resolveRedaction(objectAt(raw.redact, 'redact'), limits.depth, trailDir(raw), { check: checkRoutePattern, compile: compilePattern });
  const resolved = {
    node: resolveNode(raw.node),
    formatter: new Rfc3339Formatter(timeOffset),
    from,
    sourceIp: resolveTrustProxy(raw.trustProxy),
    requestIdHeader: resolveRequestIdHeader(raw.requestIdHeader),
    policy: resolvePolicy(raw),
    skip: resolveSkip(raw.skip),
    ...redaction,
    limits,
    auth: resolveAuth(objectAt(raw.auth, 'auth'), onHookFailure, redaction.redaction.fingerprint),
    queue,
    success,
    spool,
    lifecycle: booleanAt(raw.lifecycle, 'lifecycle', false),
  };
  // Sinks last: opening the default file is a side effect, so it waits until everything else is valid.
  return Object.freeze({ ...resolved, sinks: resolveSinks(raw, queue, defaultMode, resolved.redaction) });
}
