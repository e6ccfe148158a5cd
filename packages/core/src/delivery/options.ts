import { dirname } from 'node:path';
import winston from 'winston';
import type TransportStream from 'winston-transport';
import { DEFAULT_AUDIT_FILE, type AuditFileOptions } from './file-options.js';
import { AuditFileTransport } from './file-transport.js';
import { levelNamesFor } from './winston-targets.js';
import { loggerLevelProblem, transportLevelProblem } from './winston-levels.js';
import type { SinkMode } from './channel.js';
import { compileSelect, type RecordSelector, type SinkSelect } from './sink-select.js';
import { compileFields, type SinkFields, type SinkFieldValue } from './sink-fields.js';
import type { RedactionRules } from '../redact/redact.js';
import { booleanAt, describe, fail, integerAt, isPlainObject, objectAt, onlyKeys, stringAt, type Obj } from '../shared/validate.js';

/**
 * Where records go and how they wait: the sink options (`transports`, `sinks`, `logger`, `file`),
 * their queues and spools, `success` and `strict`. Each sink's settings are resolved here, once.
 */

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

export const DEFAULT_QUEUE: Required<QueueOptions> = { max: 10_000, batch: 256, retryMs: 100, retryMaxMs: 5000, writeTimeoutMs: 10_000 };
export const DEFAULT_SPOOL: Required<SpoolSettings> = { dir: './log/spool', maxBytes: 256 * 1024 * 1024 };
const SINK_MODES: readonly SinkMode[] = ['async', 'blocking', 'strict'];

export function resolveQueue(value: unknown, option: string, base: Required<QueueOptions>): Required<QueueOptions> {
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

export function resolveSpool(value: unknown, option: string, base: Required<SpoolSettings>): Required<SpoolSettings> | false {
  if (value === false) return false;
  const s = objectAt(value, option) ?? {};
  onlyKeys(s, ['dir', 'maxBytes'], option);
  return {
    dir: stringAt(s.dir, `${option}.dir`, base.dir, './log/spool'),
    maxBytes: integerAt(s.maxBytes, `${option}.maxBytes`, base.maxBytes, 64 * 1024, Number.MAX_SAFE_INTEGER),
  };
}


/** `success`: whether a record needs `all` blocking and strict sinks or `any` one. */
export function resolveSuccess(value: unknown): 'all' | 'any' {
  const success = value === undefined ? 'all' : value;
  if (success !== 'all' && success !== 'any') fail('success', `must be "all" or "any", got ${describe(success)}`, 'use "all" (every blocking/strict sink) or "any" (at least one)');
  return success as 'all' | 'any';
}

/** `strict`: the mode of every sink that names none. */
export function resolveDefaultMode(value: unknown): SinkMode {
  return booleanAt(value, 'strict', false) ? 'strict' : 'async';
}

export function resolveSinks(raw: Obj, queue: Required<QueueOptions>, defaultMode: SinkMode, redaction: RedactionRules): ResolvedSink[] {
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
      const pino = logger !== null && typeof logger === 'object' && typeof (logger as { isLevelEnabled?: unknown }).isLevelEnabled === 'function' && typeof (logger as { child?: unknown }).child === 'function';
      if (pino) fail('logger', 'is a pino logger, and logger takes a Winston one', "use transports: [pinoSink(logger)] with pinoSink from '@auditkit/pino'");
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

/** Where the trail is written, for the fingerprint key kept beside it: the first file sink's directory. */
export function trailDir(raw: Obj): string {
  const sinks = [...(Array.isArray(raw.sinks) ? raw.sinks : []), ...(Array.isArray(raw.transports) ? raw.transports : [])];
  for (const s of sinks) {
    const t = isPlainObject(s) ? s.transport : s;
    if (t instanceof AuditFileTransport) return dirname(t.path);
  }
  if (typeof raw.file === 'string' && raw.file.length > 0) return dirname(raw.file);
  if (isPlainObject(raw.file) && typeof raw.file.path === 'string' && raw.file.path.length > 0) return dirname(raw.file.path);
  return dirname(DEFAULT_AUDIT_FILE);
}
