import { AuditConfigError, AuditTransport, type AuditEntry } from '@auditkit/core';

/**
 * auditkit records into pino, the logger many teams (and Fastify) already run. Two forms:
 * - a pino logger: each record is logged at its level (`info`, `warn`, `error`) under one key
 *   (`audit` by default), so pino's own `level`, `time` and `msg` never collide with the record's;
 *   the line's `msg` is a one-line summary. As with a Winston `logger`, a logger that would drop
 *   records at `info` is refused, and one whose level is raised later fails its writes (counted
 *   failed, not written).
 * - a destination (`pino.destination(path)`, or any writable stream): the canonical lines, as the
 *   file sink writes them.
 * A batch counts as written once pino has flushed it to its destination (`flush(cb)`), the same
 * promise the file sink gives without `durable`. Both are lent: auditkit flushes them on close and
 * never ends them.
 */

/** The parts of a pino logger auditkit uses (pino 9 and 10). */
export interface PinoLogger {
  level: string;
  /** pino has it; Fastify's FastifyBaseLogger type leaves it out (its logger has it at run time). */
  isLevelEnabled?(level: string): boolean;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: object): unknown;
  flush?(callback?: (err?: Error | null) => void): void;
}

/**
 * A pino logger as some types describe it: Fastify's `FastifyBaseLogger` (the type of `app.log`)
 * leaves out `isLevelEnabled`, though every pino logger has it; the sink checks for it when built.
 */
export type PinoBaseLogger = Omit<PinoLogger, 'isLevelEnabled'>;

/** A pino destination (sonic-boom) or any writable stream of text. */
export interface PinoDestination {
  write(chunk: string, callback?: (err?: Error | null) => void): boolean;
  flush?(callback?: (err?: Error | null) => void): void;
  flushSync?(): void;
  destroyed?: boolean;
}

export interface PinoSinkOptions {
  /** The key a logger logs each record under. Default `audit`. */
  key?: string;
  /** The sink's name in `stats()` and faults. Default `pino` (a logger) or `pino:destination`. */
  name?: string;
}

function isLogger(target: unknown): target is PinoLogger {
  const t = target as Partial<PinoLogger> | null;
  return typeof t?.level === 'string' && typeof t.info === 'function' && typeof t.child === 'function';
}

/** pino's default level values, for a logger that does not say (custom levels come with isLevelEnabled). */
const DEFAULT_LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

function admitsInfo(logger: PinoLogger): boolean {
  if (typeof logger.isLevelEnabled === 'function') return logger.isLevelEnabled('info');
  return (DEFAULT_LEVELS[logger.level] ?? Infinity) <= DEFAULT_LEVELS.info!;
}

function isDestination(target: unknown): target is PinoDestination {
  return typeof (target as Partial<PinoDestination> | null)?.write === 'function';
}

const OPTION = 'pinoSink()';

/** One-line summary for pino's `msg`: `request POST /orgs/:orgId/users 201 success`. */
function summary(record: Record<string, unknown>): string {
  const operation = record.operation_id === record.event ? undefined : record.operation_id;
  const method = typeof record.http_method === 'string' ? record.http_method.toUpperCase() : undefined;
  return [record.event, method, operation, record.http_status_code, record.operation_result].filter((p) => p !== undefined && p !== null && p !== '').join(' ');
}

interface SonicBoomLike extends PinoDestination {
  sync: boolean;
  minLength: number;
  reopen(): void;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
}

function isSonicBoom(stream: unknown): stream is SonicBoomLike {
  const s = stream as Partial<SonicBoomLike> | null;
  return typeof s?.flushSync === 'function' && typeof s.reopen === 'function' && typeof s.minLength === 'number' && typeof s.once === 'function';
}

/**
 * Resolves once what was written to `stream` has left it. sonic-boom (pino.destination) needs care:
 * its flush(cb) calls back at once when minLength is 0, before the asynchronous write has completed,
 * so there the next 'drain' (emitted when its buffer has been written out) is what is waited for.
 */
function settled(stream: PinoDestination): Promise<void> {
  if (isSonicBoom(stream)) {
    if (stream.sync) return Promise.resolve();
    if (stream.minLength > 0) return flushed(stream.flush, stream);
    return new Promise((resolve, reject) => {
      const done = (err?: unknown): void => {
        stream.off('drain', onDrain);
        stream.off('error', onError);
        stream.off('close', onClose);
        if (err) reject(err as Error);
        else resolve();
      };
      const onDrain = (): void => done();
      const onError = (err: unknown): void => done(err ?? new Error('the destination failed'));
      const onClose = (): void => done(new Error('the destination was closed'));
      stream.once('drain', onDrain);
      stream.once('error', onError);
      stream.once('close', onClose);
    });
  }
  return flushed(stream.flush, stream);
}

/** A pino logger's destination: pino keeps it under a symbol described `pino.stream` (children inherit it). */
function streamOf(logger: PinoLogger): PinoDestination | undefined {
  for (let o: object | null = logger; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    for (const sym of Object.getOwnPropertySymbols(o)) {
      if (sym.description === 'pino.stream') return (o as Record<symbol, PinoDestination>)[sym];
    }
  }
  return undefined;
}

function flushed(flush: ((cb?: (err?: Error | null) => void) => void) | undefined, self: object): Promise<void> {
  if (typeof flush !== 'function') return Promise.resolve();
  return new Promise((resolve, reject) => {
    try {
      flush.call(self, (err?: Error | null) => (err ? reject(err) : resolve()));
    } catch (err) {
      reject(err as Error);
    }
  });
}

export class PinoTransport extends AuditTransport {
  readonly sinkName: string;
  readonly #logger: PinoLogger | undefined;
  readonly #destination: PinoDestination | undefined;
  readonly #key: string;

  constructor(target: PinoLogger | PinoBaseLogger | PinoDestination, options: PinoSinkOptions = {}) {
    super({});
    if (options === null || typeof options !== 'object') throw new AuditConfigError('AUDITKIT_INVALID_OPTION', `${OPTION} options`, 'must be an object', "use { key: 'audit' }");
    for (const k of Object.keys(options)) {
      if (k !== 'key' && k !== 'name') throw new AuditConfigError('AUDITKIT_UNKNOWN_OPTION', `${OPTION} options.${k}`, 'is not an option of pinoSink', 'use key or name');
    }
    const key = options.key ?? 'audit';
    if (typeof key !== 'string' || !/^[A-Za-z_][\w]{0,63}$/.test(key)) {
      throw new AuditConfigError('AUDITKIT_INVALID_OPTION', `${OPTION} options.key`, `must be a word of letters, digits and _, got ${JSON.stringify(key)}`, "use key: 'audit'");
    }
    this.#key = key;
    if (isLogger(target)) {
      if (!admitsInfo(target)) {
        throw new AuditConfigError(
          'AUDITKIT_INVALID_OPTION',
          OPTION,
          `the pino logger has level "${target.level}", which would silently drop every audit record at level info`,
          'create it at level "info" or lower (pino({ level: "info" })), give auditkit a child at "info" (logger.child({}, { level: "info" })), or pass a destination (pino.destination(path))',
        );
      }
      this.#logger = target;
      this.sinkName = options.name ?? 'pino';
    } else if (isDestination(target)) {
      this.#destination = target;
      this.sinkName = options.name ?? 'pino:destination';
    } else {
      throw new AuditConfigError('AUDITKIT_INVALID_OPTION', OPTION, 'needs a pino logger or a destination', 'pass pino(), a child logger, pino.destination(path) or a writable stream');
    }
  }

  async writeEntries(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const logger = this.#logger;
    if (logger) {
      // The level may have been raised since construction: pino would drop the records silently.
      if (!admitsInfo(logger)) throw new Error(`the pino logger no longer lets level info through (level "${logger.level}")`);
      const stream = streamOf(logger);
      // Listening for the write to complete starts before the first write.
      let done: Promise<void> | undefined;
      for (const [i, entry] of entries.entries()) {
        const record = entry.record as unknown as Record<string, unknown>;
        const level = record.level === 'warn' || record.level === 'error' ? record.level : 'info';
        if (i === entries.length - 1 && stream) done = settled(stream);
        logger[level]({ [this.#key]: record }, summary(record));
      }
      await (done ?? flushed(logger.flush, logger));
      return;
    }
    const destination = this.#destination!;
    if (destination.destroyed) throw new Error(`${this.sinkName} is destroyed`);
    let text = '';
    for (const entry of entries) text += entry.line + '\n';
    if (typeof destination.flush === 'function') {
      const done = isSonicBoom(destination) && !destination.sync && destination.minLength === 0 ? settled(destination) : undefined;
      destination.write(text);
      await (done ?? settled(destination));
      return;
    }
    await new Promise<void>((resolve, reject) => destination.write(text, (err) => (err ? reject(err) : resolve())));
  }

  /** A synchronous destination (`pino.destination({ sync: true })`, sonic-boom) can write at exit. */
  override writeEntriesSync(entries: readonly AuditEntry[]): boolean {
    const destination = this.#destination;
    if (!destination || typeof destination.flushSync !== 'function' || destination.destroyed) return false;
    try {
      let text = '';
      for (const entry of entries) text += entry.line + '\n';
      destination.write(text);
      destination.flushSync();
      return true;
    } catch {
      return false;
    }
  }

  /** Lent, never ended: flushed, so every record written is with the destination. */
  protected async closeSink(): Promise<void> {
    const target = this.#logger ?? this.#destination!;
    await flushed(target.flush, target).catch(() => undefined);
  }
}

/**
 * A sink for a pino logger or destination: `transports: [pinoSink(logger)]`, or in `sinks` with a mode.
 *
 * @example
 * import pino from 'pino';
 * import { pinoSink } from '@auditkit/pino';
 * app.use(audit({ transports: [pinoSink(pino())] }));
 */
export function pinoSink(target: PinoLogger | PinoBaseLogger | PinoDestination, options?: PinoSinkOptions): PinoTransport {
  return new PinoTransport(target, options);
}
