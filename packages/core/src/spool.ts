import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { open as openAsync, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A sink's spool: records that could not be delivered wait here, on disk, in order, until the sink is
 * back. It is a directory of append-only segment files holding one JSON record per line, plus a cursor
 * (segment and byte offset of the first record not yet delivered). Delivered segments are deleted.
 *
 * The cursor moves only after the sink has confirmed a batch, and it is written atomically (temporary
 * file, fsync, rename), so after a crash or restart replay resumes at the first unconfirmed record:
 * nothing is skipped, and nothing confirmed is sent again (except a batch confirmed in the instant
 * before a crash, before its cursor reached the disk).
 *
 * The spool is bounded in bytes; appending past the bound is refused and the caller counts the drop.
 */

export interface SpoolOptions {
  /** Directory for this sink's spool. Created 0700. */
  dir: string;
  /** Most bytes the spool may hold. */
  maxBytes: number;
  /** Segment size before rolling to a new file. */
  segmentBytes?: number;
}

export interface SpoolEntry {
  line: string;
  segment: number;
  /** Offset just past this entry's newline: where the cursor goes once it is delivered. */
  end: number;
  bytes: number;
}

interface Position {
  segment: number;
  offset: number;
}

const SEGMENT = /^seg-(\d{12})\.jsonl$/;
const segmentName = (n: number): string => `seg-${String(n).padStart(12, '0')}.jsonl`;
const READ_CHUNK = 1024 * 1024;

export class Spool {
  readonly dir: string;
  readonly maxBytes: number;
  readonly #segmentBytes: number;
  #cursor: Position;
  /** Where the next take() reads: ahead of the cursor while entries are in flight. */
  #read: Position;
  /** Whole lines read from disk at #read, not yet handed out. */
  #lines: string[] = [];
  #writeSegment: number;
  #writeSize: number;
  #writeHandle: FileHandle | undefined;
  /** Bytes and entries from the cursor to the end, buffered lines included. */
  #bytes = 0;
  #entries = 0;
  #pending: string[] = [];
  #flushing: Promise<void> = Promise.resolve();

  constructor(options: SpoolOptions) {
    this.dir = options.dir;
    this.maxBytes = options.maxBytes;
    this.#segmentBytes = options.segmentBytes ?? 8 * 1024 * 1024;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const segments = this.#segments();
    this.#cursor = this.#loadCursor(segments);
    const last = segments.at(-1);
    // A crash can leave half a line at the end of the last segment: it was never acknowledged to anyone.
    if (last !== undefined) this.#trimPartialLine(last);
    for (const s of segments) {
      const path = join(this.dir, segmentName(s));
      if (s < this.#cursor.segment) {
        unlinkSync(path);
        continue;
      }
      const rest = readFileSync(path).subarray(s === this.#cursor.segment ? this.#cursor.offset : 0);
      this.#bytes += rest.length;
      for (let i = rest.indexOf(0x0a); i !== -1; i = rest.indexOf(0x0a, i + 1)) this.#entries++;
    }
    this.#writeSegment = Math.max(last ?? this.#cursor.segment, this.#cursor.segment);
    const path = join(this.dir, segmentName(this.#writeSegment));
    closeSync(openSync(path, 'a', 0o600));
    this.#writeSize = statSync(path).size;
    this.#read = { ...this.#cursor };
  }

  /** Records waiting in the spool (handed out or not, until committed). */
  get entries(): number {
    return this.#entries;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Whether take() could return anything now or after a flush. */
  get hasUnread(): boolean {
    if (this.#pending.length > 0 || this.#lines.length > 0) return true;
    return this.#read.segment < this.#writeSegment || this.#read.offset < this.#writeSize;
  }

  hasRoom(bytes: number): boolean {
    return this.#bytes + bytes + 1 <= this.maxBytes;
  }

  /** Buffers a line (a serialised record without newline); false when the spool is full. */
  append(line: string): boolean {
    const bytes = Buffer.byteLength(line) + 1;
    if (this.#bytes + bytes > this.maxBytes) return false;
    this.#pending.push(line);
    this.#bytes += bytes;
    this.#entries++;
    return true;
  }

  /** Writes buffered lines to disk; with `sync`, they are fsynced before it resolves. */
  flush(sync = false): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.#pending.length === 0 && !sync) return;
      const lines = this.#pending;
      this.#pending = [];
      if (lines.length > 0) {
        let text = '';
        for (const l of lines) text += l + '\n';
        const buffer = Buffer.from(text, 'utf8');
        if (this.#writeSize > 0 && this.#writeSize + buffer.length > this.#segmentBytes) await this.#roll();
        this.#writeHandle ??= await openAsync(join(this.dir, segmentName(this.#writeSegment)), 'a', 0o600);
        await this.#writeHandle.write(buffer);
        this.#writeSize += buffer.length;
      }
      if (sync && this.#writeHandle) await this.#writeHandle.sync();
    };
    const next = this.#flushing.then(run);
    // Keep the chain alive after a failure; the caller of this flush still sees the error.
    this.#flushing = next.catch(() => undefined);
    return next;
  }

  /**
   * Writes buffered lines and fsyncs them without the event loop, for a process that is ending
   * (Auditor.closeSync). The segment is opened for appending, so a flush still in the thread pool
   * cannot interleave with these lines, only land before or after them.
   */
  flushSync(): void {
    const lines = this.#pending;
    if (lines.length === 0) return;
    this.#pending = [];
    let text = '';
    for (const l of lines) text += l + '\n';
    const buffer = Buffer.from(text, 'utf8');
    const fd = openSync(join(this.dir, segmentName(this.#writeSegment)), 'a', 0o600);
    try {
      let offset = 0;
      while (offset < buffer.length) offset += writeSync(fd, buffer, offset, buffer.length - offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.#writeSize += buffer.length;
  }

  /** Up to `max` entries from the read position, in order (buffered lines are flushed first). */
  async take(max: number): Promise<SpoolEntry[]> {
    await this.flush();
    const out: SpoolEntry[] = [];
    while (out.length < max) {
      if (this.#lines.length === 0 && !(await this.#fill())) break;
      const line = this.#lines.shift()!;
      const bytes = Buffer.byteLength(line) + 1;
      this.#read = { segment: this.#read.segment, offset: this.#read.offset + bytes };
      out.push({ line, segment: this.#read.segment, end: this.#read.offset, bytes });
    }
    return out;
  }

  /** Entries up to and including `last` were delivered: move the cursor past them, durably. */
  commit(last: SpoolEntry, count: number, bytes: number): void {
    this.#cursor = { segment: last.segment, offset: last.end };
    this.#bytes = Math.max(0, this.#bytes - bytes);
    this.#entries = Math.max(0, this.#entries - count);
    const tmp = join(this.dir, 'cursor.json.tmp');
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(this.#cursor));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.dir, 'cursor.json'));
    for (const s of this.#segments()) if (s < this.#cursor.segment) unlinkSync(join(this.dir, segmentName(s)));
  }

  /** Delivery failed: the next take() starts again at the cursor. */
  rewind(): void {
    this.#read = { ...this.#cursor };
    this.#lines = [];
  }

  async close(): Promise<void> {
    await this.flush(true);
    await this.#writeHandle?.close();
    this.#writeHandle = undefined;
  }

  async #roll(): Promise<void> {
    await this.#writeHandle?.close();
    this.#writeHandle = undefined;
    this.#writeSegment++;
    this.#writeSize = 0;
  }

  /** Reads whole lines at the read position, moving to the next segment at the end of one. */
  async #fill(): Promise<boolean> {
    for (;;) {
      const { segment, offset } = this.#read;
      const buffer = Buffer.alloc(READ_CHUNK);
      let n = 0;
      try {
        const handle = await openAsync(join(this.dir, segmentName(segment)), 'r');
        try {
          ({ bytesRead: n } = await handle.read(buffer, 0, READ_CHUNK, offset));
        } finally {
          await handle.close();
        }
      } catch {
        n = 0;
      }
      const lastNl = n === 0 ? -1 : buffer.subarray(0, n).lastIndexOf(0x0a);
      if (lastNl !== -1) {
        const text = buffer.subarray(0, lastNl).toString('utf8');
        this.#lines = text.split('\n');
        return true;
      }
      if (n === READ_CHUNK) throw new Error(`a spooled line is longer than ${READ_CHUNK} bytes in ${segmentName(segment)}`);
      if (segment >= this.#writeSegment) return false;
      this.#read = { segment: segment + 1, offset: 0 };
    }
  }

  #segments(): number[] {
    return readdirSync(this.dir)
      .map((f) => SEGMENT.exec(f)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  #loadCursor(segments: number[]): Position {
    try {
      const c = JSON.parse(readFileSync(join(this.dir, 'cursor.json'), 'utf8')) as Position;
      if (Number.isInteger(c.segment) && Number.isInteger(c.offset) && c.offset >= 0) return c;
    } catch {
      // No cursor yet: start at the first segment.
    }
    return { segment: segments[0] ?? 1, offset: 0 };
  }

  #trimPartialLine(segment: number): void {
    const path = join(this.dir, segmentName(segment));
    const size = statSync(path).size;
    if (size === 0) return;
    const fd = openSync(path, 'r+');
    try {
      const tail = Buffer.alloc(Math.min(size, READ_CHUNK));
      readSync(fd, tail, 0, tail.length, size - tail.length);
      const nl = tail.lastIndexOf(0x0a);
      const keep = nl === -1 ? size - tail.length : size - tail.length + nl + 1;
      if (keep < size) ftruncateSync(fd, keep);
    } finally {
      closeSync(fd);
    }
  }
}
