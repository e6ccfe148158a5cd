import { createHash } from 'node:crypto';
import { canonicalJson } from '../shared/canonical.js';
import type { EventRecordInput } from '../record/event-record.js';
import type { QueueOptions } from '../delivery/options.js';
import type { RecordSettings } from '../record/options.js';
import type { JsonObject, JsonValue } from '../model/record.js';

/**
 * The trail's own lifecycle (EMQX records its start and stop; disabling its audit log writes exactly
 * one record): `audit.start` when an auditor starts, with a summary of its configuration and that
 * summary's SHA-256, `audit.close` when it closes, and `audit.paused` / `audit.resumed` naming who
 * switched auditing off and on at run time. See docs/lifecycle.md.
 *
 * The summary says what the trail does, never what it knows: sink names and modes, whether a spool
 * or a hash chain is on, how many redaction rules and route rules there are, the limits. Keys,
 * secrets, the keyword lists themselves and callbacks never appear; a callback shows as `"function"`.
 * Two nodes with the same digest are configured alike.
 */

export interface SinkSummary {
  name: string;
  mode: string;
  spool: boolean;
  chained: boolean;
  /** The sink's selection, when it takes only some records: a changed filter changes the digest. */
  select?: Readonly<Record<string, readonly string[]>>;
  /** Names of the static fields the sink adds (their values may be secret, so they are not summarised). */
  fields?: readonly string[];
}

/** What the summary reads of the resolved options; `raw` is the options as given (AuditOptions). */
export interface SummarisedOptions extends RecordSettings {
  readonly success: 'all' | 'any';
  readonly queue: Required<QueueOptions>;
}

export function configSummary(raw: object | undefined, opts: SummarisedOptions, sinks: readonly SinkSummary[]): JsonObject {
  const input = (raw ?? {}) as Record<string, unknown>;
  const redact = (input.redact ?? {}) as Record<string, unknown>;
  const auth = (input.auth ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const count = (v: unknown): number => (Array.isArray(v) ? v.length : 0);
  const rules = opts.redaction;
  return {
    sinks: sinks.map((s) => ({ name: s.name, mode: s.mode, spool: s.spool, chained: s.chained, ...(s.select ? { select: { ...s.select } as JsonObject } : {}), ...(s.fields ? { fields: [...s.fields] } : {}) })),
    success: opts.success,
    redaction: {
      defaults: redact.defaults !== false,
      mode: typeof redact.mode === 'string' ? redact.mode : 'mask',
      keywords: rules.longKeywords.length + rules.shortKeywords.length,
      paths: count(redact.paths),
      // Switching the value detectors off, or adding per-route rules, changes what a record may hold:
      // the digest must change with them.
      detectors: typeof redact.detectors === 'boolean' ? redact.detectors : redact.defaults !== false,
      routes: count(redact.routes),
      headers: opts.maskedHeaders.size,
      hmac: rules.hmacKey !== undefined,
    },
    policy: {
      skip_methods: Array.isArray(input.skipMethods) ? (input.skipMethods as JsonValue[]) : ['GET', 'HEAD', 'OPTIONS'],
      routes: count(input.routes),
      high_frequency_routes: input.highFrequencyRoutes === undefined ? 'default' : count(input.highFrequencyRoutes),
      ignore_high_frequency: input.ignoreHighFrequency !== false,
      skip: typeof input.skip === 'function',
    },
    auth: {
      jwt: auth.jwt !== undefined,
      jwt_verified: auth.jwt?.verify !== undefined,
      api_key: auth.apiKey !== undefined,
      api_key_resolver: typeof auth.apiKey?.resolve === 'function',
      session: auth.session !== undefined,
    },
    trust_proxy: trustProxyKind(input.trustProxy),
    from: typeof input.from === 'function' ? 'function' : typeof input.from === 'string' ? input.from : 'rest_api',
    limits: { ...opts.limits },
    queue: { ...opts.queue },
    time_offset: typeof input.timeOffset === 'string' ? input.timeOffset : 'system',
  };
}

function trustProxyKind(v: unknown): string {
  if (v === undefined || v === false) return 'none';
  if (v === true) return 'all';
  if (typeof v === 'number') return `hops:${v}`;
  if (typeof v === 'function') return 'function';
  return 'list';
}

export function configDigest(summary: JsonObject): string {
  return createHash('sha256').update(canonicalJson(summary)).digest('hex');
}

const LIFECYCLE_BASE = {
  from: 'app',
  operationType: 'audit',
  result: 'success' as const,
  source: null,
  sourceVerified: false,
  requestId: null,
  durationMs: null,
  errorCode: null,
};

export function startRecord(summary: JsonObject, digest: string): EventRecordInput {
  return {
    ...LIFECYCLE_BASE,
    event: 'audit.start',
    operationId: 'audit.start',
    extras: { lifecycle: canonicalJson({ config: summary, config_digest: digest, pid: process.pid }) },
  };
}

export interface Totals {
  accepted: number;
  dropped: number;
  failed: number;
}

export function closeRecord(uptimeMs: number, totals: Totals): EventRecordInput {
  return {
    ...LIFECYCLE_BASE,
    event: 'audit.close',
    operationId: 'audit.close',
    durationMs: uptimeMs,
    extras: { lifecycle: canonicalJson({ pid: process.pid, records: { ...totals } }) },
  };
}

export interface PauseOptions {
  /** Who is switching auditing off or on: required, and recorded as the record's `source`. */
  operator: string | { name: string; verified?: boolean };
  /** Why, in the operator's words. */
  reason?: string;
  /** Where the switch came from (`rest_api`, `dashboard`, `cli`, ...). Default `app`. */
  from?: string;
}

export function pauseRecord(
  paused: boolean,
  who: { source: string; verified: boolean },
  from: string,
  reason: string | null,
  extra: { skipped?: number; pausedMs?: number },
): EventRecordInput {
  const event = paused ? 'audit.paused' : 'audit.resumed';
  return {
    ...LIFECYCLE_BASE,
    event,
    operationId: event,
    from,
    source: who.source,
    sourceVerified: who.verified,
    durationMs: extra.pausedMs ?? null,
    level: paused ? 'warn' : 'info',
    extras: {
      lifecycle: canonicalJson({
        reason: reason === null ? null : reason.slice(0, 1024),
        ...(extra.skipped === undefined ? {} : { skipped: extra.skipped }),
      }),
    },
  };
}
