import { BoundedQueue } from './queue.js';
import type { AuditRecord, DroppedRecord } from './record.js';
import type { SinkTarget } from './winston-targets.js';

/**
 * One sink's delivery: a bounded queue in front of a target and a background writer that hands it
 * batches. The request path only pushes onto the queue; it never waits on disk or network.
 *
 * When the queue is full a record is dropped and counted, and once room returns one
 * `audit.records_dropped` record carrying the count goes out ahead of newer records (Mattermost logs
 * "Audit queue full, dropping record" and forgets; we keep the count in the trail itself).
 */

export interface SinkStats {
  /** Records this sink took onto its queue. */
  accepted: number;
  /** Records the target acknowledged. */
  written: number;
  /** Records the target refused (their batch failed). */
  failed: number;
  /** Records turned away because the queue was full or the sink was closed. */
  dropped: number;
  /** Records waiting on the queue now. */
  queued: number;
}

export interface ChannelHooks {
  /** Serialises a record once, before its first batch (shared by every sink). */
  prepare(record: AuditRecord): void;
  makeDroppedRecord(sink: string, drop: PendingDrop): DroppedRecord;
  onDropStart(sink: string, reason: PendingDrop['reason']): void;
  onWriteFailed(sink: string, err: unknown, count: number): void;
}

export interface PendingDrop {
  count: number;
  firstMicros: number;
  lastMicros: number;
  reason: 'queue_full' | 'closed';
}

export class SinkChannel {
  readonly name: string;
  readonly #target: SinkTarget;
  readonly #queue: BoundedQueue<AuditRecord>;
  readonly #batchSize: number;
  readonly #hooks: ChannelHooks;
  readonly #now: () => number;
  #reserved = 0;
  #scheduled = false;
  #writing = false;
  #closed = false;
  #pendingDrop: PendingDrop | undefined;
  #idleWaiters: Array<() => void> = [];
  readonly #stats = { accepted: 0, written: 0, failed: 0, dropped: 0 };

  constructor(target: SinkTarget, config: { max: number; batch: number }, hooks: ChannelHooks, now: () => number) {
    this.name = target.name;
    this.#target = target;
    this.#queue = new BoundedQueue(config.max);
    this.#batchSize = config.batch;
    this.#hooks = hooks;
    this.#now = now;
  }

  /** strict mode: can a record be promised a place? Reserved places count as taken. */
  hasRoom(): boolean {
    return !this.#closed && this.#queue.length + this.#reserved < this.#queue.capacity;
  }

  reserve(): void {
    this.#reserved++;
  }

  release(): void {
    this.#reserved--;
  }

  /** Queues a record; false when it was dropped. `reserved` records use the place reserved for them. */
  offer(record: AuditRecord, reserved: boolean): boolean {
    if (reserved) this.#reserved--;
    if (this.#closed) {
      this.#noteDrop('closed');
      return false;
    }
    // Unreserved records leave reserved places free, so a strict request that was admitted can always be recorded.
    const limit = reserved ? this.#queue.capacity : this.#queue.capacity - this.#reserved;
    if (this.#queue.length >= limit) {
      this.#noteDrop('queue_full');
      return false;
    }
    this.#queue.pushOver(record);
    this.#stats.accepted++;
    this.#schedule();
    return true;
  }

  stats(): SinkStats {
    return { ...this.#stats, queued: this.#queue.length };
  }

  /** Resolves when the queue is empty and no batch is in flight. */
  idle(): Promise<void> {
    if (!this.#writing && !this.#scheduled && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops accepting, writes what is queued, then closes the target. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.idle();
    this.#closed = true;
    await this.#target.close();
  }

  #schedule(): void {
    if (this.#scheduled || this.#writing) return;
    this.#scheduled = true;
    // setImmediate, not a microtask: every record completed in this turn of the event loop joins one batch.
    setImmediate(() => void this.#run());
  }

  async #run(): Promise<void> {
    this.#scheduled = false;
    this.#writing = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.peek(this.#batchSize);
        for (const record of batch) this.#hooks.prepare(record);
        try {
          await this.#target.write(batch);
          this.#stats.written += batch.length;
        } catch (err) {
          this.#stats.failed += batch.length;
          this.#hooks.onWriteFailed(this.name, err, batch.length);
        }
        this.#queue.drop(batch.length);
        this.#flushDropNotice();
      }
    } finally {
      this.#writing = false;
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  #noteDrop(reason: PendingDrop['reason']): void {
    this.#stats.dropped++;
    const now = this.#now();
    if (this.#pendingDrop) {
      this.#pendingDrop.count++;
      this.#pendingDrop.lastMicros = now;
      return;
    }
    this.#pendingDrop = { count: 1, firstMicros: now, lastMicros: now, reason };
    this.#hooks.onDropStart(this.name, reason);
  }

  /** Room has returned: the drop count goes into the trail before newer records. */
  #flushDropNotice(): void {
    const drop = this.#pendingDrop;
    if (!drop || this.#closed || this.#queue.length >= this.#queue.capacity) return;
    this.#pendingDrop = undefined;
    this.#queue.pushOver(this.#hooks.makeDroppedRecord(this.name, drop));
    this.#stats.accepted++;
  }
}
