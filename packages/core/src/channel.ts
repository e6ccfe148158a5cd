import { BoundedQueue } from './queue.js';
import { AuditEntry } from './entry.js';
import type { DroppedRecord } from './record.js';
import type { Spool, SpoolEntry } from './spool.js';
import type { SinkTarget } from './winston-targets.js';

/**
 * One sink's delivery. Records wait in a bounded in-memory queue, or, while a network sink is down, in
 * the sink's spool on disk; a background pump hands them to the target in batches and removes them only
 * once the target confirms. The request path never waits here unless the sink's mode says so.
 *
 * - Batches are pipelined up to what the target allows (a file: one at a time; syslog over TCP: many,
 *   confirmed together). Confirmations arrive in order.
 * - A failed batch puts every unconfirmed record back at the front. A sink with a spool moves its whole
 *   queue to the spool and replays from there, in order, once the sink answers again; a sink without
 *   one keeps the records queued and retries with exponential backoff.
 * - When the queue (or spool) is full, records are dropped and counted, and once room returns one
 *   `audit.records_dropped` record carrying the count goes out ahead of newer records.
 */

export type SinkMode = 'async' | 'blocking' | 'strict';

export interface SinkStats {
  /** Records this sink took (into memory or the spool). */
  accepted: number;
  /** Records the target confirmed. */
  written: number;
  /** Records given up after acceptance: still undelivered when close() hit its deadline, with no spool. */
  failed: number;
  /** Records turned away: queue or spool full, oversize, or the sink closed. */
  dropped: number;
  /** Records waiting in memory now. */
  queued: number;
  /** Records waiting in the spool now. */
  spooled: number;
  /** Failed write attempts (each is retried). */
  errors: number;
  /** False from a failed write until the next confirmed one. */
  healthy: boolean;
  /** Milliseconds since the epoch of the last confirmed write; 0 before the first. */
  lastWriteAt: number;
}

export type DropReason = DroppedRecord['reason'];

export interface ChannelHooks {
  makeDroppedRecord(sink: string, drop: PendingDrop): AuditEntry;
  onDropStart(sink: string, reason: DropReason): void;
  onWriteFailed(sink: string, err: unknown, count: number, spooling: boolean): void;
  onRecovered(sink: string, backlog: number): void;
  onLost(sink: string, count: number): void;
}

export interface PendingDrop {
  count: number;
  firstMicros: number;
  lastMicros: number;
  reason: DropReason;
}

export interface ChannelConfig {
  max: number;
  batch: number;
  mode: SinkMode;
  spool: Spool | undefined;
  maxInFlightBatches: number;
  retryMs: number;
  retryMaxMs: number;
  writeTimeoutMs: number;
}

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

interface Entry {
  /** `undefined` for a spooled line that is not a record (it still moves the spool's cursor). */
  entry: AuditEntry | undefined;
  line: string;
  waiter: Waiter | undefined;
  spooled: SpoolEntry | undefined;
}

interface Batch {
  entries: Entry[];
  fromSpool: boolean;
  done: boolean;
}

export class SinkDown extends Error {
  constructor(sink: string, cause: unknown) {
    super(`sink ${sink} did not confirm the record: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'SinkDown';
  }
}

/** Resolves when `p` settles or after `ms`, whichever comes first; never rejects. */
export function withDeadline(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.then(
      () => undefined,
      () => undefined,
    ),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export class SinkChannel {
  readonly name: string;
  readonly mode: SinkMode;
  /** How long a batch may go unconfirmed, and how long a blocking or strict request waits. */
  readonly writeTimeoutMs: number;
  readonly #target: SinkTarget;
  readonly #config: ChannelConfig;
  readonly #queue: BoundedQueue<Entry>;
  readonly #spool: Spool | undefined;
  readonly #hooks: ChannelHooks;
  readonly #now: () => number;
  /** Entries at the front of the memory queue that are in flight. */
  #sent = 0;
  #inFlight: Batch[] = [];
  #generation = 0;
  #spoolActive: boolean;
  #reserved = 0;
  #scheduled = false;
  #pumping = false;
  #backoff: NodeJS.Timeout | undefined;
  #failures = 0;
  #spoolFlushScheduled = false;
  #closing = false;
  #closed = false;
  #pendingDrop: PendingDrop | undefined;
  #progressWaiters: Array<() => void> = [];
  readonly #stats = { accepted: 0, written: 0, failed: 0, dropped: 0, errors: 0, healthy: true, lastWriteAt: 0 };

  constructor(target: SinkTarget, config: ChannelConfig, hooks: ChannelHooks, now: () => number) {
    this.name = target.name;
    this.mode = config.mode;
    this.writeTimeoutMs = config.writeTimeoutMs;
    this.#target = target;
    this.#config = config;
    this.#queue = new BoundedQueue(config.max);
    this.#spool = config.spool;
    this.#hooks = hooks;
    this.#now = now;
    // A spool left by an earlier process is replayed first; new records queue behind it.
    this.#spoolActive = (this.#spool?.entries ?? 0) > 0;
    if (this.#spoolActive) this.#schedule();
  }

  /** strict admission: can a record be promised a place now? */
  hasRoom(): boolean {
    if (this.#closing) return false;
    if (this.#spoolActive) return this.#spool!.hasRoom(64 * 1024);
    if (!this.#stats.healthy && !this.#spool) return false;
    return this.#queue.length + this.#reserved < this.#queue.capacity;
  }

  reserve(): void {
    this.#reserved++;
  }

  release(): void {
    this.#reserved--;
  }

  /**
   * Takes a record (its serialised line already made). `waiter`, for blocking and strict sinks, is
   * settled once the record is confirmed, or durably in the spool, or cannot be.
   */
  offer(record: AuditEntry, reserved: boolean, waiter?: Waiter): boolean {
    const line = record.line;
    if (reserved) this.#reserved--;
    if (this.#closing) return this.#refuse('closed', waiter);
    const entry: Entry = { entry: record, line, waiter, spooled: undefined };
    if (this.#spoolActive) {
      if (!this.#spool!.append(line)) return this.#refuse('spool_full', waiter);
      this.#stats.accepted++;
      this.#scheduleSpoolFlush(waiter);
      this.#schedule();
      return true;
    }
    // Blocking and strict requests wait for their record, so they never drop it: the waiting requests bound memory.
    const limit = this.mode === 'async' && !reserved ? this.#queue.capacity - this.#reserved : Infinity;
    if (this.#queue.length >= limit) return this.#refuse('queue_full', waiter);
    this.#queue.pushOver(entry);
    this.#stats.accepted++;
    this.#schedule();
    return true;
  }

  /** Counts a record that never reached this sink (e.g. too large for any sink). */
  drop(reason: DropReason): void {
    this.#noteDrop(reason);
  }

  /** Opens the target ahead of its first record (the file picks up its chain). */
  open(): Promise<void> {
    return this.#target.open?.() ?? Promise.resolve();
  }

  stats(): SinkStats {
    return { ...this.#stats, queued: this.#queue.length, spooled: this.#spool?.entries ?? 0 };
  }

  /**
   * Stops accepting, delivers what it can until `deadline` (ms since epoch), keeps what is left in the
   * spool when there is one (counted as spooled, replayed by the next process), and closes the target.
   */
  async close(deadline: number): Promise<void> {
    if (this.#closed) return;
    this.#closing = true;
    this.#schedule();
    while (!this.#drained() && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, Math.min(deadline - Date.now(), 250)));
        this.#progressWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const left = this.#stop();
    if (left.length > 0) {
      if (this.#spool) {
        for (const e of left) if (!this.#spool.append(e.line)) this.#stats.failed++;
      } else {
        this.#stats.failed += left.length;
        this.#hooks.onLost(this.name, left.length);
      }
      for (const e of left) e.waiter?.reject(new SinkDown(this.name, new Error('closed before delivery')));
    }
    if (this.#spool) await this.#spool.close();
    // A transport that never finishes closing must not hold close() past its deadline.
    await withDeadline(this.#target.close(), Math.max(100, deadline - Date.now()));
  }

  /**
   * The process is ending without its event loop (`process.exit()`): every record not yet confirmed
   * goes, in order, to the target's synchronous write, else to the spool (flushed and fsynced), else
   * it is counted lost. The channel is closed afterwards. A record whose batch was in flight may be
   * on disk already; the file transport checks, other targets may write it twice (never lose it).
   */
  closeSync(): { written: number; spooled: number; lost: number } {
    this.#closing = true;
    const left = this.#stop();
    const entries = left.flatMap((e) => (e.entry === undefined ? [] : [e.entry]));
    if (this.#pendingDrop) {
      entries.push(this.#hooks.makeDroppedRecord(this.name, this.#pendingDrop));
      this.#pendingDrop = undefined;
    }
    const out = { written: 0, spooled: 0, lost: 0 };
    if (entries.length > 0 && !this.#spoolActive && this.#target.writeSync?.(entries)) {
      out.written = entries.length;
      this.#stats.written += entries.length;
    } else if (this.#spool) {
      for (const e of entries) {
        if (this.#spool.append(e.line)) out.spooled++;
        else out.lost++;
      }
      try {
        this.#spool.flushSync();
      } catch {
        out.lost += out.spooled;
        out.spooled = 0;
      }
    } else {
      out.lost = entries.length;
    }
    this.#stats.failed += out.lost;
    for (const e of left) {
      if (out.lost === 0) e.waiter?.resolve();
      else e.waiter?.reject(new SinkDown(this.name, new Error('the process ended before delivery')));
    }
    return out;
  }

  /** Stops pumping, forgets what is in flight (its confirmations are ignored) and takes the whole queue. */
  #stop(): Entry[] {
    this.#closed = true;
    if (this.#backoff) clearTimeout(this.#backoff);
    this.#backoff = undefined;
    this.#generation++;
    this.#inFlight = [];
    this.#sent = 0;
    const left = this.#queue.peek(this.#queue.length);
    this.#queue.drop(left.length);
    return left;
  }

  #drained(): boolean {
    return this.#queue.length === 0 && this.#inFlight.length === 0 && (!this.#spoolActive || (this.#spool!.entries === 0 && !this.#spool!.hasUnread));
  }

  #refuse(reason: DropReason, waiter: Waiter | undefined): false {
    this.#noteDrop(reason);
    waiter?.reject(new SinkDown(this.name, new Error(reason.replace('_', ' '))));
    return false;
  }

  #schedule(): void {
    if (this.#scheduled || this.#pumping || this.#backoff) return;
    this.#scheduled = true;
    // setImmediate, not a microtask: every record completed in this turn of the event loop joins one batch.
    setImmediate(this.#pumpNow);
  }

  readonly #pumpNow = (): void => void this.#pump();

  async #pump(): Promise<void> {
    this.#scheduled = false;
    if (this.#pumping || this.#backoff || this.#closed) return;
    this.#pumping = true;
    try {
      while (this.#inFlight.length < this.#config.maxInFlightBatches && !this.#backoff && !this.#closed) {
        const batch = this.#spoolActive ? await this.#takeFromSpool() : this.#takeFromMemory();
        if (batch.entries.length === 0) break;
        this.#send(batch);
      }
      if (this.#spoolActive && this.#inFlight.length === 0 && this.#spool!.entries === 0 && !this.#spool!.hasUnread) {
        // Replay is complete: new records can use memory again.
        this.#spoolActive = false;
      }
    } catch (err) {
      // Reading the spool failed (disk trouble): treat it like a failed write and retry later.
      this.#fail(err);
    } finally {
      this.#pumping = false;
    }
  }

  #takeFromMemory(): Batch {
    const available = this.#queue.length - this.#sent;
    const n = Math.min(available, this.#config.batch);
    const entries = n > 0 ? this.#queue.peekFrom(this.#sent, n) : [];
    this.#sent += entries.length;
    return { entries, fromSpool: false, done: false };
  }

  async #takeFromSpool(): Promise<Batch> {
    const generation = this.#generation;
    const taken = await this.#spool!.take(this.#config.batch);
    if (generation !== this.#generation) {
      // A failure happened while we were reading: nothing is in flight any more, so start again at the cursor.
      this.#spool!.rewind();
      return { entries: [], fromSpool: true, done: false };
    }
    const entries: Entry[] = [];
    for (const s of taken) {
      let entry: AuditEntry | undefined;
      try {
        entry = AuditEntry.fromLine(s.line);
      } catch {
        // A line that is not JSON cannot be delivered; it still moves the cursor when its batch commits.
        entry = undefined;
      }
      entries.push({ entry, line: s.line, waiter: undefined, spooled: s });
    }
    return { entries, fromSpool: true, done: false };
  }

  #send(batch: Batch): void {
    const generation = this.#generation;
    this.#inFlight.push(batch);
    const records = batch.fromSpool ? batch.entries.flatMap((e) => (e.entry === undefined ? [] : [e.entry])) : batch.entries.map((e) => e.entry!);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no confirmation within ${this.#config.writeTimeoutMs} ms`)), this.#config.writeTimeoutMs);
    });
    const write = records.length === 0 ? Promise.resolve() : Promise.race([this.#target.write(records), timeout]);
    write.then(
      () => {
        clearTimeout(timer);
        this.#confirmed(generation, batch);
      },
      (err: unknown) => {
        clearTimeout(timer);
        if (generation === this.#generation) this.#fail(err);
      },
    );
  }

  #confirmed(generation: number, batch: Batch): void {
    if (generation !== this.#generation) return;
    batch.done = true;
    while (this.#inFlight[0]?.done) {
      const b = this.#inFlight.shift()!;
      const n = b.entries.length;
      if (b.fromSpool) {
        const bytes = b.entries.reduce((sum, e) => sum + e.spooled!.bytes, 0);
        try {
          this.#spool!.commit(b.entries[n - 1]!.spooled!, n, bytes);
        } catch (err) {
          // The cursor could not be saved: the batch may be sent again after a restart (a duplicate, never a loss).
          this.#hooks.onWriteFailed(this.name, err, 0, true);
        }
      } else {
        this.#queue.drop(n);
        this.#sent -= n;
      }
      const unreadable = b.fromSpool ? b.entries.filter((e) => e.entry === undefined).length : 0;
      this.#stats.written += n - unreadable;
      this.#stats.failed += unreadable;
      for (const e of b.entries) e.waiter?.resolve();
    }
    this.#stats.lastWriteAt = Date.now();
    if (!this.#stats.healthy) {
      this.#stats.healthy = true;
      this.#hooks.onRecovered(this.name, this.#queue.length + (this.#spool?.entries ?? 0));
    }
    this.#failures = 0;
    this.#flushDropNotice();
    this.#notifyProgress();
    this.#schedule();
  }

  #fail(err: unknown): void {
    this.#generation++;
    const inFlight = this.#inFlight;
    this.#inFlight = [];
    this.#sent = 0;
    this.#stats.errors++;
    this.#stats.healthy = false;
    const unconfirmed = inFlight.reduce((n, b) => n + b.entries.length, 0);
    if (this.#spool) {
      this.#spool.rewind();
      if (!this.#spoolActive) this.#moveQueueToSpool();
    } else {
      // The records stay queued for the retry; whoever waits on one is told now rather than at a timeout.
      for (const e of this.#queue.peek(this.#queue.length)) {
        e.waiter?.reject(new SinkDown(this.name, err));
        e.waiter = undefined;
      }
    }
    this.#hooks.onWriteFailed(this.name, err, unconfirmed, this.#spool !== undefined);
    const delay = Math.min(this.#config.retryMaxMs, this.#config.retryMs * 2 ** Math.min(this.#failures, 16));
    this.#failures++;
    this.#backoff = setTimeout(() => {
      this.#backoff = undefined;
      this.#schedule();
    }, delay);
    this.#notifyProgress();
  }

  /** The sink is down and has a spool: everything in memory goes to disk, in order, ahead of newer records. */
  #moveQueueToSpool(): void {
    const spool = this.#spool!;
    const entries = this.#queue.peek(this.#queue.length);
    this.#queue.drop(entries.length);
    this.#spoolActive = true;
    const waiters: Waiter[] = [];
    for (const e of entries) {
      if (spool.append(e.line)) {
        if (e.waiter) waiters.push(e.waiter);
      } else {
        this.#stats.accepted--;
        this.#noteDrop('spool_full');
        e.waiter?.reject(new SinkDown(this.name, new Error('spool full')));
      }
    }
    spool.flush(true).then(
      () => {
        for (const w of waiters) w.resolve();
      },
      (err: unknown) => {
        for (const w of waiters) w.reject(new SinkDown(this.name, err));
        this.#hooks.onWriteFailed(this.name, err, 0, true);
      },
    );
  }

  /** Spooled records become durable on the next flush; blocking and strict callers wait for it. */
  #scheduleSpoolFlush(waiter: Waiter | undefined): void {
    const spool = this.#spool!;
    if (waiter) {
      spool.flush(true).then(
        () => waiter.resolve(),
        (err: unknown) => waiter.reject(new SinkDown(this.name, err)),
      );
      return;
    }
    if (this.#spoolFlushScheduled) return;
    this.#spoolFlushScheduled = true;
    setImmediate(() => {
      this.#spoolFlushScheduled = false;
      spool.flush(true).catch((err: unknown) => this.#hooks.onWriteFailed(this.name, err, 0, true));
    });
  }

  #notifyProgress(): void {
    const waiters = this.#progressWaiters;
    this.#progressWaiters = [];
    for (const w of waiters) w();
  }

  #noteDrop(reason: DropReason): void {
    this.#stats.dropped++;
    const now = this.#now();
    if (this.#pendingDrop) {
      this.#pendingDrop.count++;
      this.#pendingDrop.lastMicros = now;
      return;
    }
    this.#pendingDrop = { count: 1, firstMicros: now, lastMicros: now, reason };
    this.#hooks.onDropStart(this.name, reason);
    // A drop that is not about room (oversize) may be followed by no other record: write its notice soon.
    setImmediate(() => {
      this.#flushDropNotice();
      this.#schedule();
    });
  }

  /** Room has returned: the drop count goes into the trail ahead of newer records. */
  #flushDropNotice(): void {
    const drop = this.#pendingDrop;
    if (!drop || this.#closed) return;
    const record = this.#hooks.makeDroppedRecord(this.name, drop);
    const line = record.line;
    if (this.#spoolActive) {
      if (!this.#spool!.append(line)) return;
      this.#scheduleSpoolFlush(undefined);
    } else {
      if (this.#queue.length >= this.#queue.capacity) return;
      this.#queue.pushOver({ entry: record, line, waiter: undefined, spooled: undefined });
    }
    this.#pendingDrop = undefined;
    this.#stats.accepted++;
  }
}
