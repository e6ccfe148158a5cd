import TransportStream from 'winston-transport';
import { AuditEntry } from '../record/entry.js';

/**
 * Base class of auditkit's own Winston transports (file, syslog, ...).
 *
 * A plain Winston transport acknowledges a record when its `log()` calls back, which for Winston's
 * File transport happens before the bytes reach the file. auditkit's transports add `writeEntries`,
 * which resolves only once the batch is really written (and rejects, leaving the transport usable,
 * when it is not), so the pipeline can count, retry and report precisely. They take entries (each
 * record's canonical JSON line, see entry.ts), not objects. They remain ordinary Winston transports:
 * `log`/`logv` work in any Winston logger.
 */
export abstract class AuditTransport extends TransportStream {
  /** A short name for counters and fault reports, e.g. `file:/var/log/audit.log`. */
  abstract readonly sinkName: string;

  /**
   * Batches that may await confirmation at once. A file confirms each write, so one; a transport that
   * confirms in groups (syslog over TCP confirms on a clean close) lets the pipeline keep sending.
   */
  readonly maxInFlightBatches: number = 1;

  /** Network transports get a disk spool by default, so an outage does not lose records. */
  readonly network: boolean = false;

  /** Writes a batch; resolves when the transport's durability promise holds for all of it. */
  abstract writeEntries(entries: readonly AuditEntry[]): Promise<void>;

  /**
   * Writes a batch synchronously, for a process ending without its event loop (`process.exit()`):
   * true once the records are on disk. Auditor.closeSync() calls it; a transport that cannot write
   * synchronously keeps the default (false), and its records go to its spool or are reported lost.
   */
  writeEntriesSync(_entries: readonly AuditEntry[]): boolean {
    return false;
  }

  /** Flushes and releases resources. Called once, after the last write has settled. */
  protected abstract closeSink(): Promise<void>;

  override log(info: unknown, callback: () => void): void {
    this.#logMany([info], callback);
  }

  /** Winston hands batched writes here with their stream entries; formats are ours to apply. */
  override logv(entries: Array<{ chunk: unknown }>, callback: () => void): void {
    this.#logMany(
      entries.map((e) => e.chunk),
      callback,
    );
  }

  #logMany(infos: unknown[], callback: () => void): void {
    const records = infos
      .map((info) => (this.format ? this.format.transform(Object.assign({}, info) as never, (this.format as { options?: object }).options) : info))
      .filter((r): r is object => typeof r === 'object' && r !== null);
    this.writeEntries(records.map((r) => AuditEntry.fromRecord(r))).then(
      () => {
        this.emit('logged', records);
        callback();
      },
      (err: unknown) => {
        // In a plain Winston logger, report the failure the Winston way but keep the stream usable.
        this.emit('warn', err);
        callback();
      },
    );
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.closeSink().then(
      () => callback(),
      (err: unknown) => callback(err as Error),
    );
  }
}

export function isAuditTransport(t: unknown): t is AuditTransport {
  return t instanceof AuditTransport;
}
