import { BoundedQueue } from './queue.js';
import { AuditEntry } from '../record/entry.js';
import type { DroppedRecord } from '../model/record.js';
import type { Spool, SpoolEntry } from './spool.js';
import type { SinkTarget } from './winston-targets.js';
import type { RecordSelector } from './sink-select.js';
import type { SinkFields } from './sink-fields.js';
import type { RecordHead } from '../record/entry.js';

/**
 * One sink's delivery. Records wait in a bounded in-memory queue, or, while a network sink is down, in
 * the sink's spool on disk; a background pump hands them to the target in batches and removes them only
 * once the target confirms. The request path never waits here unless the sink's mode says so.
 *
 * - Batches are pipelined up to what the target allows (a file: one at a time; syslog over TCP: many,
 *   confirmed together). Confirmations arrive in order.
 * - A failed batch puts every unconfirmed record back at the front. A sink with a spool then writes
 *   its whole queue to the spool, newer records follow it there, and the spool is replayed in order
 *   once the sink answers again; a sink without one keeps the records queued and retries with
 *   exponential backoff.
 * - A record bound for the spool stays in memory (counted as queued) until the spool has it on disk,
 *   fdatasync'd (only then counted as spooled). When the spool's disk fails (full, read-only), the
 *   records stay queued and the spool write is retried with backoff; once the spool is empty the sink is
 *   tried straight from memory again, so whichever of the disk and the sink recovers first takes them.
 * - When the queue (or spool) is full, records are dropped and counted, and once room returns one
 *   `audit.records_dropped` record carrying the count goes out ahead of newer records. The auditor
 *   also relays the count to the other sinks (see drop-relay.ts), in case this one never recovers.
 *
 * At every moment: accepted = written + failed + queued + spooled. Records the sink's `select` does
 * not take are never offered to it (see sink-select.ts): they count in `skipped` and nowhere else.
 */

export type SinkMode = 'async' | 'blocking' | 'strict';

export interface SinkStats {
  /** Records this sink took (into memory or the spool), notices included, plus those an earlier process left in its spool. */
  accepted: number;
  /** Records the target confirmed. */
  written: number;
  /** Records given up after acceptance: undelivered when close() hit its deadline with nowhere to keep them, or unreadable in the spool. */
  failed: number;
  /** Records turned away, never accepted: queue or spool full, oversize, or the sink closed. */
  dropped: number;
  /** Records this sink's `select` does not take: never offered to it, so never accepted, dropped or failed here. */
  skipped: number;
  /** Records waiting in memory now (in flight included): lost if the process dies. */
  queued: number;
  /** Records waiting in the spool now: on disk and fdatasync'd, they survive a crash. */
  spooled: number;
  /** Failed write attempts, to the sink or to its spool (each is retried). */
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
  onSpoolFailed(sink: string, err: unknown, what: 'write' | 'cursor', waiting: number): void;
  onRecovered(sink: string, backlog: number): void;
  onLost(sink: string, count: number, why: string): void;
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
  /** Which records the sink takes; `undefined`: every record. */
  select?: RecordSelector | undefined;
  /** Static fields added to every record this sink writes. */
  fields?: SinkFields | undefined;
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
  /** Its size on disk (line and newline), once it is bound for the spool; 0 before. */
  bytes: number;
}

interface Batch {
  entries: Entry[];
  fromSpool: boolean;
  done: boolean;
}

/** Most bytes written to the spool in one append. */
const SPOOL_APPEND_BYTES = 4 * 1024 * 1024;

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

const lineBytes = (e: Entry): number => (e.bytes ||= Buffer.byteLength(e.line) + 1);

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
  /** Records in flight from the spool: bounded like the memory queue, so a large spool is not read into memory at once. */
  #inFlightFromSpool = 0;
  #generation = 0;
  /** The sink failed and has a spool: new records go to disk, and the pump sends from the spool. */
  #spoolActive: boolean;
  /** Bytes of the queued entries bound for the spool. */
  #queueBytes = 0;
  /** An append of entries at the front of the queue is under way; they stay queued until it succeeds. */
  #spooling: Promise<void> | undefined;
  #spoolScheduled = false;
  #spoolRetry: NodeJS.Timeout | undefined;
  #spoolFailures = 0;
  #reserved = 0;
  #scheduled = false;
  #pumping = false;
  #pumpAgain = false;
  #backoff: NodeJS.Timeout | undefined;
  #failures = 0;
  #closing = false;
  /** The pump has stopped for good: what was left went to the spool or counted as failed. */
  #stopped = false;
  #closed = false;
  #pendingDrop: PendingDrop | undefined;
  /** Drops (and losses at close) not yet relayed to the other sinks, by reason. */
  #relay = new Map<DropReason, PendingDrop>();
  #progressWaiters: Array<() => void> = [];
  readonly #stats = { accepted: 0, written: 0, failed: 0, dropped: 0, skipped: 0, errors: 0, healthy: true, lastWriteAt: 0 };
  readonly #select: RecordSelector | undefined;
  readonly #fields: SinkFields | undefined;

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
    this.#select = config.select;
    this.#fields = config.fields;
    // A spool left by an earlier process is replayed first; new records queue behind it.
    const inherited = this.#spool?.entries ?? 0;
    this.#stats.accepted = inherited;
    this.#spoolActive = inherited > 0;
    if (this.#spoolActive) this.#schedule();
  }

  /**
   * Whether this sink takes a record with these facts; one it does not take is counted as skipped, and
   * the caller must not offer (or drop) it here. A record whose facts are unknown is taken.
   */
  selects(head: RecordHead | undefined): boolean {
    if (this.#select === undefined || head === undefined || this.#select.takes(head)) return true;
    this.#stats.skipped++;
    return false;
  }

  /** strict admission: can a record be promised a place now? */
  hasRoom(): boolean {
    if (this.#closing) return false;
    if (!this.#stats.healthy && (!this.#spool || this.#spoolFailures > 0)) return false;
    if (this.#spoolActive && !this.#spool!.hasRoom(this.#queueBytes + 64 * 1024)) return false;
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
    if (reserved) this.#reserved--;
    if (this.#closing) return this.#refuse('closed', waiter);
    // Blocking and strict requests wait for their record, so they never drop it: the waiting requests bound memory.
    const limit = this.mode === 'async' && !reserved ? this.#queue.capacity - this.#reserved : Infinity;
    if (this.#queue.length >= limit) return this.#refuse('queue_full', waiter);
    const entry = this.#entryOf(record, waiter);
    if (this.#spoolActive) {
      if (!this.#spool!.hasRoom(this.#queueBytes + lineBytes(entry))) return this.#refuse('spool_full', waiter);
      this.#queueBytes += entry.bytes;
    }
    this.#queue.pushOver(entry);
    this.#stats.accepted++;
    if (this.#spoolActive) this.#scheduleSpooling();
    else this.#schedule();
    return true;
  }

  /** Counts a record that never reached this sink (e.g. too large for any sink). */
  drop(reason: DropReason): void {
    this.#noteDrop(reason);
  }

  /** Whether this sink can carry another sink's drop notice now: open, confirming, not dropping itself. */
  get canCarryNotices(): boolean {
    return !this.#stopped && this.#stats.healthy && this.#pendingDrop === undefined;
  }

  /** Another sink's drop notice, relayed by the auditor; taken even while closing, past the queue's cap. */
  carry(record: AuditEntry): void {
    if (this.#stopped) return;
    const entry = this.#entryOf(record, undefined);
    if (this.#spoolActive) this.#queueBytes += lineBytes(entry);
    this.#queue.pushOver(entry);
    this.#stats.accepted++;
    if (this.#spoolActive) this.#scheduleSpooling();
    else this.#schedule();
  }

  /** Whether this sink lost records since the last takeRelay() that only its own trail would have told. */
  get hasRelay(): boolean {
    return this.#relay.size > 0;
  }

  /** Drops and losses since the last call, by reason, for the auditor to relay to the other sinks. */
  takeRelay(): PendingDrop[] {
    const out = [...this.#relay.values()];
    this.#relay.clear();
    return out;
  }

  /** Opens the target ahead of its first record (the file picks up its chain). */
  open(): Promise<void> {
    return this.#target.open?.() ?? Promise.resolve();
  }

  /**
   * The process is ending without its event loop (`process.exit()`): every record still in memory
   * goes, in order, to the target's synchronous write, else to the spool (written and fsynced), else
   * it is counted lost. Nothing is taken afterwards. A record whose batch was in flight may be on
   * disk already: the file transport checks; other targets may get it twice (never lose it).
   */
  closeSync(): { written: number; spooled: number; lost: number } {
    this.#halt();
    this.#closed = true;
    const left = this.#queue.peek(this.#queue.length);
    this.#queue.drop(left.length);
    this.#queueBytes = 0;
    const entries = left.flatMap((e) => (e.entry === undefined ? [] : [e.entry]));
    if (this.#pendingDrop) {
      entries.push(this.#entryOf(this.#hooks.makeDroppedRecord(this.name, this.#pendingDrop), undefined).entry!);
      this.#pendingDrop = undefined;
    }
    const out = { written: 0, spooled: 0, lost: 0 };
    if (entries.length === 0) return out;
    if (!this.#spoolActive && this.#target.writeSync?.(entries)) {
      out.written = entries.length;
      this.#stats.written += entries.length;
    } else if (this.#spool?.appendSync(entries.map((e) => e.line))) {
      out.spooled = entries.length;
    } else {
      out.lost = entries.length;
      this.#stats.failed += entries.length;
    }
    for (const e of left) {
      if (out.lost === 0) e.waiter?.resolve();
      else e.waiter?.reject(new SinkDown(this.name, new Error('the process ended before delivery')));
    }
    return out;
  }

  stats(): SinkStats {
    return { ...this.#stats, queued: this.#queue.length, spooled: this.#spool?.entries ?? 0 };
  }

  /** Stops accepting and delivers what it can until `deadline` (ms since epoch); true when nothing is left. */
  async drain(deadline: number): Promise<boolean> {
    this.#closing = true;
    this.#schedule();
    while (!this.#drained() && !this.#stopped && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, Math.min(deadline - Date.now(), 250)));
        this.#progressWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.#drained();
  }

  /**
   * Gives up on delivery: what is still in memory goes to the spool when there is one (counted as
   * spooled, replayed by the next process) or is counted as failed. Nothing is taken after this.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#halt();
    await this.#spooling?.catch(() => undefined);
    const left = this.#queue.peek(this.#queue.length);
    if (left.length === 0) return;
    let kept = 0;
    let why = 'no spool to keep them';
    const keep = (): void => {
      this.#queue.drop(left.length);
      this.#queueBytes = 0;
      const lost = left.length - kept;
      this.#stats.failed += lost;
      if (lost > 0) this.#noteLoss(lost);
    };
    if (this.#spool) {
      let bytes = 0;
      while (kept < left.length && this.#spool.hasRoom(bytes + lineBytes(left[kept]!))) bytes += left[kept++]!.bytes;
      why = 'the spool is full';
      try {
        await this.#spool.append(
          left.slice(0, kept).map((e) => e.line),
          keep,
        );
      } catch (err) {
        why = `the spool could not be written (${(err as Error)?.message ?? String(err)})`;
        kept = 0;
        keep();
      }
    } else keep();
    if (kept < left.length) this.#hooks.onLost(this.name, left.length - kept, why);
    left.forEach((e, i) => (i < kept ? e.waiter?.resolve() : e.waiter?.reject(new SinkDown(this.name, new Error('closed before delivery')))));
  }

  /** Stops (if not yet), then closes the spool and the target; a target that never finishes closing does not hold this past `deadline`. */
  async close(deadline: number): Promise<void> {
    if (this.#closed) return;
    await this.stop();
    this.#closed = true;
    if (this.#spool) await this.#spool.close();
    await withDeadline(this.#target.close(), Math.max(100, deadline - Date.now()));
  }

  /** Stops pumping and retrying, and forgets what is in flight (its confirmations are ignored). */
  #halt(): void {
    this.#stopped = true;
    this.#closing = true;
    if (this.#backoff) clearTimeout(this.#backoff);
    if (this.#spoolRetry) clearTimeout(this.#spoolRetry);
    this.#backoff = this.#spoolRetry = undefined;
    this.#generation++;
    this.#inFlight = [];
    this.#inFlightFromSpool = 0;
    this.#sent = 0;
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
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    if (this.#scheduled || this.#backoff) return;
    this.#scheduled = true;
    // setImmediate, not a microtask: every record completed in this turn of the event loop joins one batch.
    setImmediate(this.#pumpNow);
  }

  readonly #pumpNow = (): void => void this.#pump();

  async #pump(): Promise<void> {
    this.#scheduled = false;
    if (this.#pumping || this.#backoff || this.#stopped) return;
    this.#pumping = true;
    this.#pumpAgain = false;
    try {
      // A sink known to be down gets one batch, as a probe; the rest follows once it confirms.
      while (this.#inFlight.length < (this.#stats.healthy ? this.#config.maxInFlightBatches : 1) && !this.#backoff && !this.#stopped) {
        if (this.#spoolActive) {
          if (this.#inFlightFromSpool >= this.#config.max) break;
          const batch = await this.#takeFromSpool();
          if (batch.entries.length === 0) break;
          this.#send(batch);
          // Reading and formatting a large spool must not hold the event loop: requests go first.
          await new Promise((resolve) => setImmediate(resolve));
        } else {
          const batch = this.#takeFromMemory();
          if (batch.entries.length === 0) break;
          this.#send(batch);
        }
      }
      this.#leaveSpoolIfDone();
    } catch (err) {
      // Reading the spool failed (disk trouble): treat it like a failed write and retry later.
      this.#fail(err);
    } finally {
      this.#pumping = false;
    }
    if (this.#pumpAgain) this.#schedule();
  }

  /**
   * Back to memory once every spooled record has been sent (its last batches may still await their
   * confirmation: newer records follow them on the same connection, in order), if the sink confirms
   * again, or if the spool cannot be written (then the sink is tried straight from memory: a full
   * disk must not keep records from a sink that has recovered). Should those last batches fail, the
   * queue goes back behind them in the spool.
   */
  #leaveSpoolIfDone(): void {
    if (!this.#spoolActive || this.#spooling || this.#spool!.hasUnread) return;
    if (!this.#stats.healthy && this.#spoolFailures === 0) return;
    this.#spoolActive = false;
    this.#queueBytes = 0;
    if (this.#spoolRetry) clearTimeout(this.#spoolRetry);
    this.#spoolRetry = undefined;
    if (this.#queue.length > 0) this.#schedule();
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
    const taken = await this.#spool!.take(Math.min(this.#config.batch, this.#config.max - this.#inFlightFromSpool));
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
      entries.push({ entry, line: s.line, waiter: undefined, spooled: s, bytes: s.bytes });
    }
    this.#inFlightFromSpool += entries.length;
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
        this.#inFlightFromSpool -= n;
        const bytes = b.entries.reduce((sum, e) => sum + e.spooled!.bytes, 0);
        // The cursor is saved off the event loop; if that fails the batch may be sent again after a restart (a duplicate, never a loss).
        this.#spool!.commit(b.entries[n - 1]!.spooled!, n, bytes).catch((err: unknown) => this.#hooks.onSpoolFailed(this.name, err, 'cursor', 0));
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
    this.#leaveSpoolIfDone();
    if (this.#spoolActive) this.#scheduleSpooling();
    this.#notifyProgress();
    this.#schedule();
  }

  #fail(err: unknown): void {
    this.#generation++;
    const inFlight = this.#inFlight;
    this.#inFlight = [];
    this.#inFlightFromSpool = 0;
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

  /** The sink is down and has a spool: everything in memory is bound for the disk, in order, ahead of newer records. */
  #moveQueueToSpool(): void {
    this.#spoolActive = true;
    let bytes = 0;
    for (const e of this.#queue.peek(this.#queue.length)) bytes += lineBytes(e);
    this.#queueBytes = bytes;
    this.#scheduleSpooling();
  }

  #scheduleSpooling(): void {
    if (this.#spoolScheduled || this.#spooling || this.#spoolRetry || this.#stopped) return;
    this.#spoolScheduled = true;
    // Every record completed in this turn of the event loop joins one append (and one fdatasync).
    setImmediate(() => {
      this.#spoolScheduled = false;
      this.#writeQueueToSpool();
    });
  }

  /** Writes the front of the queue to the spool; the records leave memory only once they are on disk. */
  #writeQueueToSpool(): void {
    if (!this.#spoolActive || this.#spooling || this.#spoolRetry || this.#stopped || this.#queue.length === 0) return;
    const spool = this.#spool!;
    const candidates = this.#queue.peek(this.#queue.length);
    let count = 0;
    let bytes = 0;
    // In order: a record that does not fit yet waits (in memory) for the replay to make room, and so do those behind it.
    while (count < candidates.length && bytes < SPOOL_APPEND_BYTES && spool.hasRoom(bytes + lineBytes(candidates[count]!))) bytes += candidates[count++]!.bytes;
    if (count === 0) return;
    const entries = candidates.slice(0, count);
    // On disk now (even if close() is waiting for this append): they leave memory as the spool counts them.
    const onDurable = (): void => {
      this.#queue.drop(count);
      this.#queueBytes -= bytes;
    };
    this.#spooling = spool.append(
      entries.map((e) => e.line),
      onDurable,
    ).then(
      () => {
        this.#spooling = undefined;
        this.#spoolFailures = 0;
        for (const e of entries) e.waiter?.resolve();
        if (this.#stopped) return;
        this.#flushDropNotice();
        this.#schedule();
        this.#scheduleSpooling();
        this.#notifyProgress();
      },
      (err: unknown) => {
        this.#spooling = undefined;
        if (this.#stopped) return;
        this.#stats.errors++;
        // Whoever waits on one of these records is told now: it is not durable. The records stay queued.
        for (const e of entries) {
          e.waiter?.reject(new SinkDown(this.name, err));
          e.waiter = undefined;
        }
        this.#hooks.onSpoolFailed(this.name, err, 'write', this.#queue.length);
        const delay = Math.min(this.#config.retryMaxMs, this.#config.retryMs * 2 ** Math.min(this.#spoolFailures, 16));
        this.#spoolFailures++;
        this.#spoolRetry = setTimeout(() => {
          this.#spoolRetry = undefined;
          this.#scheduleSpooling();
        }, delay);
        // With nothing on disk to replay, the sink is tried straight from memory.
        this.#leaveSpoolIfDone();
        this.#notifyProgress();
      },
    );
  }

  /** A record as this sink writes it: with the sink's static fields, when it has some, in the line it queues and spools. */
  #entryOf(record: AuditEntry, waiter: Waiter | undefined): Entry {
    const own = this.#fields === undefined ? record : this.#fields.apply(record);
    return { entry: own, line: own.line, waiter, spooled: undefined, bytes: 0 };
  }

  #notifyProgress(): void {
    const waiters = this.#progressWaiters;
    this.#progressWaiters = [];
    for (const w of waiters) w();
  }

  #noteDrop(reason: DropReason): void {
    this.#stats.dropped++;
    const now = this.#now();
    // Oversize records and records after close() are turned away by every sink, and each says so itself.
    if (reason === 'queue_full' || reason === 'spool_full') this.#addRelay(reason, 1, now);
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

  /** Records accepted, then given up at close: this sink's trail misses them, so the other sinks are told. */
  #noteLoss(count: number): void {
    this.#addRelay('closed', count, this.#now());
  }

  #addRelay(reason: DropReason, count: number, now: number): void {
    const r = this.#relay.get(reason);
    if (r) {
      r.count += count;
      r.lastMicros = now;
    } else this.#relay.set(reason, { count, firstMicros: now, lastMicros: now, reason });
  }

  /** Room has returned: the drop count goes into the trail ahead of newer records. */
  #flushDropNotice(): void {
    const drop = this.#pendingDrop;
    if (!drop || this.#stopped) return;
    const entry = this.#entryOf(this.#hooks.makeDroppedRecord(this.name, drop), undefined);
    // Records bound for the spool wait in the queue too: the notice needs room in both.
    if (this.#queue.length >= this.#queue.capacity) return;
    if (this.#spoolActive) {
      if (!this.#spool!.hasRoom(this.#queueBytes + lineBytes(entry))) return;
      this.#queueBytes += entry.bytes;
    }
    this.#queue.pushOver(entry);
    this.#pendingDrop = undefined;
    this.#stats.accepted++;
    if (this.#spoolActive) this.#scheduleSpooling();
  }
}
