import { AuditFault, AuditTransport, type AuditEntry } from '@auditkit/core';

/** What a backend does with a batch: commit it in one transaction, ignoring ids it already holds. */
export type BatchWriter = (lines: readonly string[]) => Promise<unknown>;

/**
 * The store as a sink. It sits behind the core's per-sink queue like any transport: the pipeline
 * batches, retries and (for a network store) spools; this only hands each batch's canonical lines to
 * the backend and resolves once their transaction has committed. A replayed batch is harmless: the
 * backends insert by record id and skip ids they hold.
 */
export class StoreTransport extends AuditTransport {
  readonly sinkName: string;
  override readonly network: boolean;
  override readonly maxInFlightBatches: number;
  readonly #write: BatchWriter;
  readonly #close: () => Promise<void>;

  constructor(options: { sinkName: string; network: boolean; maxInFlightBatches: number; write: BatchWriter; close?: () => Promise<void> }) {
    super();
    this.sinkName = options.sinkName;
    this.network = options.network;
    this.maxInFlightBatches = options.maxInFlightBatches;
    this.#write = options.write;
    this.#close = options.close ?? (() => Promise.resolve());
  }

  override async writeEntries(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const lines = new Array<string>(entries.length);
    for (let i = 0; i < entries.length; i++) lines[i] = entries[i]!.line;
    await this.#write(lines);
  }

  /** A store problem outside a write (a skipped line, failed retention): a fault event of the auditor that uses this sink. */
  reportFault(message: string, cause?: unknown): void {
    const detail = cause === undefined ? '' : `: ${(cause as Error)?.message ?? String(cause)}`;
    this.emit('warn', new AuditFault('AUDITKIT_SINK_FAILED', `store ${this.sinkName} ${message}${detail}`, this.sinkName, cause));
  }

  /** The auditor closing its sinks does not close the store: queries may go on; store.close() does that. */
  protected override closeSink(): Promise<void> {
    return this.#close();
  }
}
