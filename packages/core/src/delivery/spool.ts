import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A sink's spool: records that could not be delivered wait here, on disk, in order, until the sink is
 * back. It is a directory of append-only segment files holding one JSON record per line, plus a cursor
 * (segment and byte offset of the first record not yet delivered).
 *
 * - `append` resolves only once its lines are written and fdatasync'd; until then they are not in the
 *   spool at all (`entries` does not count them), so whatever `entries` counts survives SIGKILL and
 *   power loss. A failed append (ENOSPC, EROFS, EIO) is cut back off the file and rejects: the caller
 *   still holds those lines and decides what to do with them.
 * - The cursor moves only after the sink has confirmed a batch. It is saved off the event loop
 *   (temporary file, fdatasync, rename), coalesced, so it may lag the confirmations by one save: after
 *   a crash, replay resumes at the last saved cursor, and what was confirmed after it is sent again.
 *   Nothing is ever skipped.
 * - Segments the cursor has passed are deleted; once everything is delivered, every segment goes, so
 *   delivered records (user names, addresses, bodies) do not linger on disk.
 *
 * The spool is bounded in bytes; the caller checks `hasRoom` and counts what does not fit.
 */

export interface SpoolOptions {
  /** Directory for this sink's spool. Created 0700. */
  dir: string;
  /** Most bytes the spool may hold. */
  maxBytes: number;
  /** Segment size before rolling to a new file: at most this much delivered data waits on disk during a replay. */
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
export const DEFAULT_SEGMENT_BYTES = 1024 * 1024;

export class Spool {
  readonly dir: string;
  readonly maxBytes: number;
  readonly #segmentBytes: number;
  /** First record not yet delivered (in memory; the saved copy may lag by one save). */
  #cursor: Position;
  /** Where the next take() reads: ahead of the cursor while entries are in flight. */
  #read: Position;
  /** Whole lines read from disk at #read, not yet handed out. */
  #lines: string[] = [];
  #writeSegment: number;
  /** Bytes of the write segment that are durably written: readers never go past this. */
  #writeSize: number;
  #writeHandle: FileHandle | undefined;
  /** Bytes and entries from the cursor to the durable end. */
  #bytes = 0;
  #entries = 0;
  /** Every change to the files runs here, one at a time: appends, cursor saves, clean-ups. */
  #ops: Promise<void> = Promise.resolve();
  #cursorSaveQueued = false;
  #lastSaved: Position;
  #closed = false;

  constructor(options: SpoolOptions) {
    this.dir = options.dir;
    this.maxBytes = options.maxBytes;
    this.#segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
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
      for (let i = rest.indexOf(0x0a), from = 0; i !== -1; from = i + 1, i = rest.indexOf(0x0a, from)) {
        this.#entries++;
        this.#bytes += i + 1 - from;
      }
    }
    this.#writeSegment = Math.max(last ?? this.#cursor.segment, this.#cursor.segment);
    if (this.#entries === 0 && segments.some((s) => s >= this.#cursor.segment)) {
      // Everything was delivered (or an older version left delivered records): start on a clean segment.
      this.#writeSegment++;
      this.#cursor = { segment: this.#writeSegment, offset: 0 };
      this.#saveCursorSync();
      for (const s of this.#segments()) if (s < this.#writeSegment) unlinkSync(join(this.dir, segmentName(s)));
    }
    const path = join(this.dir, segmentName(this.#writeSegment));
    closeSync(openSync(path, 'a', 0o600));
    this.#writeSize = statSync(path).size;
    this.#read = { ...this.#cursor };
    this.#lastSaved = { ...this.#cursor };
  }

  /** Records durably in the spool and not yet delivered (handed out or not, until committed). */
  get entries(): number {
    return this.#entries;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Whether take() could return anything now. */
  get hasUnread(): boolean {
    if (this.#lines.length > 0) return true;
    return this.#read.segment < this.#writeSegment || this.#read.offset < this.#writeSize;
  }

  /** Whether `bytes` more (lines with their newlines) would fit. */
  hasRoom(bytes: number): boolean {
    return this.#bytes + bytes <= this.maxBytes;
  }

  /**
   * Writes lines (serialised records, no newline) durably: resolves once they are written and
   * fdatasync'd, and only then counts them. On failure nothing of them stays in the spool and it
   * rejects with the file system's error. The caller checks `hasRoom` first. `onDurable` runs in the
   * same instant the lines are counted, so a caller moving them out of memory never counts them twice
   * or not at all.
   */
  append(lines: readonly string[], onDurable?: () => void): Promise<void> {
    return this.#run(async () => {
      if (this.#closed) throw new Error('the spool is closed');
      if (lines.length === 0) return onDurable?.();
      let text = '';
      for (const l of lines) text += l + '\n';
      const buffer = Buffer.from(text, 'utf8');
      if (this.#writeSize > 0 && this.#writeSize + buffer.length > this.#segmentBytes) await this.#roll();
      const handle = await this.#handle();
      const start = this.#writeSize;
      try {
        // One write(2) may take only part of the buffer (a disk filling up): loop until all of it is written.
        // The file is opened for appending, so each write lands at its end.
        for (let done = 0; done < buffer.length; ) {
          const { bytesWritten } = await handle.write(buffer, done, buffer.length - done, null);
          done += bytesWritten;
        }
        await handle.datasync();
      } catch (err) {
        await this.#cutBack(handle, start);
        throw err;
      }
      this.#writeSize = start + buffer.length;
      this.#entries += lines.length;
      this.#bytes += buffer.length;
      onDurable?.();
    });
  }

  /**
   * Writes lines durably without the event loop, for a process that is ending (Auditor.closeSync):
   * true once they are written and fsynced and counted; false, leaving nothing behind, when the
   * spool is closed or full or the disk refuses. The segment is opened for appending, so an append
   * still in the thread pool cannot interleave with these lines, only land before or after them.
   */
  appendSync(lines: readonly string[]): boolean {
    if (this.#closed) return false;
    if (lines.length === 0) return true;
    let text = '';
    for (const l of lines) text += l + '\n';
    const buffer = Buffer.from(text, 'utf8');
    if (!this.hasRoom(buffer.length)) return false;
    let fd: number;
    try {
      fd = openSync(join(this.dir, segmentName(this.#writeSegment)), 'a', 0o600);
    } catch {
      return false;
    }
    const start = statSync(join(this.dir, segmentName(this.#writeSegment))).size;
    try {
      let offset = 0;
      while (offset < buffer.length) offset += writeSync(fd, buffer, offset, buffer.length - offset);
      fsyncSync(fd);
    } catch {
      try {
        ftruncateSync(fd, start);
      } catch {
        // The process is ending; the caller reports the records lost.
      }
      return false;
    } finally {
      closeSync(fd);
    }
    this.#writeSize = start + buffer.length;
    this.#entries += lines.length;
    this.#bytes += buffer.length;
    return true;
  }

  /** Up to `max` entries from the read position, in order. */
  async take(max: number): Promise<SpoolEntry[]> {
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

  /**
   * Entries up to and including `last` were delivered: they leave the spool now; the cursor is saved
   * in the background (see the class comment), and files holding only delivered records are removed.
   */
  commit(last: SpoolEntry, count: number, bytes: number): Promise<void> {
    this.#cursor = { segment: last.segment, offset: last.end };
    this.#bytes = Math.max(0, this.#bytes - bytes);
    this.#entries = Math.max(0, this.#entries - count);
    if (this.#cursorSaveQueued) return this.#ops;
    this.#cursorSaveQueued = true;
    return this.#run(async () => {
      this.#cursorSaveQueued = false;
      await this.#saveCursor();
    });
  }

  /** Delivery failed: the next take() starts again at the cursor. */
  rewind(): void {
    this.#read = { ...this.#cursor };
    this.#lines = [];
  }

  /** Resolves when every change so far has reached the disk (or failed). */
  idle(): Promise<void> {
    return this.#ops;
  }

  async close(): Promise<void> {
    await this.#run(async () => {
      this.#closed = true;
      await this.#writeHandle?.close();
      this.#writeHandle = undefined;
    });
  }

  #run(op: () => Promise<void>): Promise<void> {
    const next = this.#ops.then(op);
    // Keep the chain alive after a failure; the caller of this operation still sees the error.
    this.#ops = next.catch(() => undefined);
    return next;
  }

  async #handle(): Promise<FileHandle> {
    if (this.#writeHandle) return this.#writeHandle;
    const handle = await open(join(this.dir, segmentName(this.#writeSegment)), 'a', 0o600);
    this.#writeHandle = handle;
    if (this.#writeSize === 0) await this.#syncDirectory();
    return handle;
  }

  async #roll(): Promise<void> {
    await this.#writeHandle?.close();
    this.#writeHandle = undefined;
    this.#writeSegment++;
    this.#writeSize = 0;
  }

  /** A failed append must leave nothing behind: a torn line followed by the next append would merge two records. */
  async #cutBack(handle: FileHandle, size: number): Promise<void> {
    try {
      await handle.truncate(size);
    } catch {
      // Cannot cut it back: leave the torn tail in this segment (the reader skips it) and write on in a new one.
      await handle.close().catch(() => undefined);
      if (this.#writeHandle === handle) this.#writeHandle = undefined;
      this.#writeSegment++;
      this.#writeSize = 0;
    }
  }

  async #saveCursor(): Promise<void> {
    if (this.#entries === 0 && !this.hasUnread) {
      // Everything is delivered: move to a fresh segment, then remove every file of delivered records.
      // The cursor is saved first, so a crash in between leaves files the next start deletes.
      if (this.#writeSize > 0 || this.#cursor.segment !== this.#writeSegment) {
        await this.#writeHandle?.close();
        this.#writeHandle = undefined;
        this.#writeSegment++;
        this.#writeSize = 0;
        this.#cursor = { segment: this.#writeSegment, offset: 0 };
        this.#read = { ...this.#cursor };
        this.#bytes = 0;
      }
    }
    const cursor = { ...this.#cursor };
    if (cursor.segment !== this.#lastSaved.segment || cursor.offset !== this.#lastSaved.offset) {
      const tmp = join(this.dir, 'cursor.json.tmp');
      const handle = await open(tmp, 'w', 0o600);
      try {
        await handle.writeFile(JSON.stringify(cursor));
        await handle.datasync();
      } finally {
        await handle.close();
      }
      await rename(tmp, join(this.dir, 'cursor.json'));
      this.#lastSaved = cursor;
    }
    for (const f of await readdir(this.dir)) {
      const s = SEGMENT.exec(f)?.[1];
      if (s !== undefined && Number(s) < cursor.segment) await unlink(join(this.dir, f));
    }
  }

  async #syncDirectory(): Promise<void> {
    // A new segment's name must reach the disk too, or its fdatasync'd records could vanish with it.
    const dir = await open(this.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  /** Reads whole lines at the read position, moving to the next segment at the end of one. */
  async #fill(): Promise<boolean> {
    for (;;) {
      const { segment, offset } = this.#read;
      const durableEnd = segment === this.#writeSegment ? this.#writeSize : Infinity;
      const want = Math.min(READ_CHUNK, durableEnd - offset);
      let n = 0;
      let buffer = Buffer.alloc(0);
      if (want > 0) {
        buffer = Buffer.allocUnsafe(want);
        try {
          const handle = await open(join(this.dir, segmentName(segment)), 'r');
          try {
            ({ bytesRead: n } = await handle.read(buffer, 0, want, offset));
          } finally {
            await handle.close();
          }
        } catch {
          n = 0;
        }
      }
      const lastNl = n === 0 ? -1 : buffer.subarray(0, n).lastIndexOf(0x0a);
      if (lastNl !== -1) {
        this.#lines = buffer.subarray(0, lastNl).toString('utf8').split('\n');
        return true;
      }
      if (n === READ_CHUNK) throw new Error(`a spooled line is longer than ${READ_CHUNK} bytes in ${segmentName(segment)}`);
      // The end of the durable data, or a torn tail left by a failed append: go on in the next segment.
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

  #saveCursorSync(): void {
    const tmp = join(this.dir, 'cursor.json.tmp');
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(this.#cursor));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.dir, 'cursor.json'));
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
