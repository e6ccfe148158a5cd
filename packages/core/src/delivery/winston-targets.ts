import { LEVEL } from 'triple-beam';
import winston from 'winston';
import type TransportStream from 'winston-transport';
import { isAuditTransport } from './audit-transport.js';
import type { AuditEntry } from '../record/entry.js';
import type { AuditRecord } from '../model/record.js';

/**
 * Where a sink channel hands its batches: one Winston transport, or a Winston logger the application
 * passed in. Both resolve `write` when the batch has been acknowledged and `close` when everything is
 * flushed.
 */
export interface SinkTarget {
  readonly name: string;
  /** Batches that may await confirmation at once (1 unless the transport confirms in groups). */
  readonly maxInFlightBatches: number;
  /** A network destination: spooled to disk by default while it is down. */
  readonly network: boolean;
  write(batch: readonly AuditEntry[]): Promise<void>;
  /** Synchronous write at process exit; false when the target cannot (see Auditor.closeSync). */
  writeSync?(batch: readonly AuditEntry[]): boolean;
  /** Opens the destination ahead of the first record (Auditor.ready). */
  open?(): Promise<void>;
  close(): Promise<void>;
}

type FaultReporter = (err: unknown) => void;

/**
 * Writes each record to an object stream; resolves when the last write's callback fires (streams call
 * back in order) and rejects on the first error. Streams may call a callback twice (once from
 * _writev, once from the transport's log), so the promise settles once.
 */
function writeEach(
  batch: readonly AuditEntry[],
  write: (entry: AuditEntry, callback: ((err?: Error | null) => void) | undefined) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (err?: Error | null): void => {
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else resolve();
    };
    const last = batch.length - 1;
    for (let i = 0; i <= last; i++) write(batch[i]!, i === last ? settle : undefined);
  });
}

/** Waits for a stream to finish after `end()`, or to fail, or to be destroyed. */
function finished(stream: NodeJS.EventEmitter & { writableFinished?: boolean; destroyed?: boolean }): Promise<void> {
  if (stream.writableFinished || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('finish', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.on('finish', done);
    stream.on('close', done);
    stream.on('error', done);
  });
}

/**
 * One Winston transport. A small Winston logger is put in front of it only for Winston's own
 * bookkeeping (a transport learns its level names when a logger pipes into it); records are written
 * to the transport directly so each batch has a real acknowledgement.
 */
export class TransportTarget implements SinkTarget {
  readonly name: string;
  readonly maxInFlightBatches: number;
  readonly network: boolean;
  readonly #transport: TransportStream;
  readonly #logger: winston.Logger;

  constructor(transport: TransportStream, name: string, onFault: FaultReporter) {
    this.name = name;
    this.#transport = transport;
    this.maxInFlightBatches = isAuditTransport(transport) ? transport.maxInFlightBatches : 1;
    this.network = isAuditTransport(transport) ? transport.network : false;
    this.#logger = winston.createLogger({ levels: winston.config.npm.levels, level: 'silly', transports: [transport], exitOnError: false });
    // Winston re-emits transport errors on the logger; an 'error' with no listener would crash the app.
    this.#logger.on('error', onFault);
    transport.on('warn', onFault);
  }

  write(batch: readonly AuditEntry[]): Promise<void> {
    const transport = this.#transport;
    if (isAuditTransport(transport)) return transport.writeEntries(batch);
    if (transport.destroyed) return Promise.reject(new Error(`transport ${this.name} is destroyed`));
    // A plain Winston transport takes record objects: made from the lines here, and only here.
    return writeEach(batch, (entry, callback) => transport.write(entry.record, callback));
  }

  writeSync(batch: readonly AuditEntry[]): boolean {
    const transport = this.#transport;
    return isAuditTransport(transport) && !transport.destroyed ? transport.writeEntriesSync(batch) : false;
  }

  open(): Promise<void> {
    const transport = this.#transport as { open?: () => Promise<void> };
    return isAuditTransport(this.#transport) && typeof transport.open === 'function' ? transport.open() : Promise.resolve();
  }

  async close(): Promise<void> {
    const transport = this.#transport;
    const done = finished(transport);
    transport.end();
    await done;
  }
}

/**
 * A Winston logger the application passed in: its own formats and transports apply. The logger is
 * lent, not given: the application goes on logging with it, so auditkit never ends it (ending it is
 * what flushes its files, and is the application's call once auditkit is closed).
 */
export class LoggerTarget implements SinkTarget {
  readonly name = 'logger';
  readonly maxInFlightBatches = 1;
  readonly network = false;
  readonly #logger: winston.Logger;
  readonly #levels: { info: string; warn: string; error: string };
  readonly #onFault: FaultReporter;

  constructor(logger: winston.Logger, onFault: FaultReporter) {
    this.#logger = logger;
    this.#levels = levelNamesFor(logger.levels);
    this.#onFault = onFault;
    logger.on('error', onFault);
  }

  write(batch: readonly AuditEntry[]): Promise<void> {
    // The options checked the levels at construction; the application may have changed them since.
    // Winston would drop the records and still call back, so they would count as written.
    const logger = this.#logger;
    if (logger.silent || logger.transports.length === 0 || !logger.isLevelEnabled(this.#levels.info)) {
      return Promise.reject(new Error(`the logger no longer lets level ${this.#levels.info} through (level "${logger.level}", ${logger.transports.length} transports${logger.silent ? ', silent' : ''})`));
    }
    return writeEach(batch, (entry, callback) => {
      const record: AuditRecord = entry.record;
      // A copy: logger formats mutate the info object, and other sinks share the record.
      const info = Object.assign({}, record) as unknown as Record<string | symbol, unknown>;
      const level = this.#levels[record.level];
      info.level = level;
      info[LEVEL] = level;
      this.#logger.write(info as never, callback);
    });
  }

  /** Stops listening to the logger; every batch was acknowledged by the logger when it was written. */
  async close(): Promise<void> {
    this.#logger.off('error', this.#onFault);
  }
}

/** Maps auditkit's levels onto a logger's level names (npm's `warn`, syslog's `warning`, ...). */
export function levelNamesFor(levels: Record<string, number>): { info: string; warn: string; error: string } {
  const pick = (...names: string[]): string | undefined => names.find((n) => n in levels);
  const info = pick('info', 'notice');
  const warn = pick('warn', 'warning');
  const error = pick('error', 'err');
  if (!info || !warn || !error) throw new Error('missing levels');
  return { info, warn, error };
}
