import type { SinkChannel, PendingDrop } from './channel.js';
import type { AuditEntry } from '../record/entry.js';

/**
 * Tells the other sinks what one sink lost. A sink writes its own `audit.records_dropped` notice once
 * room returns in it; a sink that never recovers (a syslog server gone, then a restart or a crash)
 * never writes it, and the count would live only in stats and faults, which die with the process. So
 * the count of records a sink turned away for lack of room (queue or spool full), and of records it
 * still held undelivered when close() gave up, also goes as an `audit.records_dropped` notice naming
 * that sink to every other sink that is confirming writes and not dropping itself: the file beside a
 * dead syslog sink says how many records syslog's trail misses.
 *
 * Relayed at most `intervalMs` after the drops (so a crash loses at most that much of the count) and
 * at close; each relayed notice covers the drops since the previous one, so the notices about sink X
 * in any other trail add up to what X lost. When no other sink can take them, the counts wait.
 */
export class DropRelay {
  readonly #channels: readonly SinkChannel[];
  readonly #make: (sink: string, drop: PendingDrop) => AuditEntry;
  readonly #intervalMs: number;
  readonly #timers = new Map<SinkChannel, NodeJS.Timeout>();

  constructor(channels: readonly SinkChannel[], make: (sink: string, drop: PendingDrop) => AuditEntry, intervalMs = 1000) {
    this.#channels = channels;
    this.#make = make;
    this.#intervalMs = intervalMs;
  }

  /** `channel` is dropping: relay its counts soon, and keep at it while it has counts to relay. */
  watch(channel: SinkChannel): void {
    if (this.#timers.has(channel)) return;
    const timer = setTimeout(() => {
      this.#timers.delete(channel);
      if (this.relay(channel) || channel.hasRelay) this.watch(channel);
    }, this.#intervalMs);
    timer.unref();
    this.#timers.set(channel, timer);
  }

  /** Relays what `from` lost so far to every sink that can carry it; false when there was nothing to send or nobody to take it. */
  relay(from: SinkChannel): boolean {
    if (!from.hasRelay) return false;
    const to = this.#channels.filter((c) => c !== from && c.canCarryNotices);
    if (to.length === 0) return false;
    for (const drop of from.takeRelay()) {
      // One record, the same id in every trail it reaches: a reader merging trails can tell it is one notice.
      const record = this.#make(from.name, drop);
      for (const c of to) c.carry(record);
    }
    return true;
  }

  /** At close: no more timers; what is left is relayed now. */
  flush(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    for (const c of this.#channels) this.relay(c);
  }
}
