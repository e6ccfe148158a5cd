import { hostname } from 'node:os';
import type { AuditFacts } from '../capture/facts.js';
import type { ResolvedRedaction } from '../redact/options.js';
import { Rfc3339Formatter, parseTimeOffset, type TimeOffset } from '../shared/clock.js';
import { describe, fail, integerAt, objectAt, onlyKeys, stringAt } from '../shared/validate.js';

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

/** `from`: a fixed name, or a function that classifies each request. */
export type FromOption = string | ((facts: AuditFacts) => string);

/** What the record builders read from the resolved options: redaction, the caps, and the fields every record carries. */
export interface RecordSettings extends ResolvedRedaction {
  readonly node: string;
  readonly formatter: Rfc3339Formatter;
  readonly limits: Required<LimitOptions>;
}

export function resolveLimits(value: unknown): Required<LimitOptions> {
  const limitsIn = objectAt(value, 'limits') ?? {};
  onlyKeys(limitsIn, ['bodyBytes', 'metaBytes', 'depth', 'userAgent', 'recordBytes'], 'limits');
  return {
    bodyBytes: integerAt(limitsIn.bodyBytes, 'limits.bodyBytes', 8192, 64, 10 * 1024 * 1024),
    metaBytes: integerAt(limitsIn.metaBytes, 'limits.metaBytes', 8192, 64, 10 * 1024 * 1024),
    depth: integerAt(limitsIn.depth, 'limits.depth', 32, 1, 256),
    userAgent: integerAt(limitsIn.userAgent, 'limits.userAgent', 1024, 16, 65536),
    recordBytes: integerAt(limitsIn.recordBytes, 'limits.recordBytes', 100 * 1024, 1024, 64 * 1024 * 1024),
  };
}

/** `timeOffset`, checked by parsing it; the formatter is built later, with the other record fields. */
export function resolveTimeOffset(value: unknown): TimeOffset {
  const timeOffset = stringAt(value, 'timeOffset', 'system', '+02:00');
  try {
    parseTimeOffset(timeOffset);
  } catch {
    fail('timeOffset', `must be "system", "utc" or an offset like "+02:00", got ${describe(timeOffset)}`, 'use "system", "utc" or "+HH:MM"');
  }
  return timeOffset as TimeOffset;
}

export function resolveFrom(value: unknown): FromOption {
  const from = value === undefined ? 'rest_api' : value;
  if (typeof from !== 'function' && (typeof from !== 'string' || from.length === 0)) {
    fail('from', `must be a string or a function, got ${describe(from)}`, 'use "rest_api", "dashboard", or (facts) => string');
  }
  return from as FromOption;
}

export function resolveNode(value: unknown): string {
  return stringAt(value, 'node', hostname(), 'api-1');
}
