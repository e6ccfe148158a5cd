import { createReadStream, createWriteStream, closeSync, mkdirSync, openSync, fstatSync } from 'node:fs';
import { mkdir, open as openAsync, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { AuditTransport } from './audit-transport.js';
import { ChainWriter, type CheckpointReason, type Sealed } from '../integrity/chain.js';
import { recoverChain } from '../integrity/chain-recovery.js';
import { AuditConfigError, AuditFault } from '../shared/errors.js';
import { writeAtExit, type PendingAppend } from './file-exit-write.js';
import { loadSigningKey } from '../integrity/signing-key.js';
import type { AuditEntry } from '../record/entry.js';
import { settingsFrom, type AuditFileOptions, type FileSinkSettings } from './file-options.js';

/** The options live in file-options.ts; they are also the transport's, so they are named from here too. */
export { DEFAULT_AUDIT_FILE, parseSize, type AuditFileOptions, type ChainOptions } from './file-options.js';

const NEWLINE = Buffer.from('\n');
/** The largest encoding buffer a file transport keeps between batches (4 MiB). */
const SCRATCH_MAX = 4 * 1024 * 1024;

/** Whether the file's last byte (at `size - 1`) is a newline. */
async function endsWithNewline(path: string, size: number): Promise<boolean> {
  const reader = await openAsync(path, 'r');
  try {
    const last = Buffer.alloc(1);
    await reader.read(last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    await reader.close();
  }
}

/** `20261122T031502123Z`: rotated names sort by time. */
function stamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace('.', '');
}

/**
 * JSON lines in a file, one record per line, with rotation that actually applies (Mattermost's was
 * found to be ignored) and acknowledgements that mean something (winston-daily-rotate-file
 * acknowledges a line before writing it).
 *
 * - A batch is one write; its promise resolves after the kernel has all of it, and with `durable` after
 *   fdatasync. A batch never spans two files: rotation happens between batches.
 * - A failed write (ENOSPC, EROFS, EIO) is cut back to the last whole line and the file is closed; the
 *   next attempt reopens it, so a directory that became read-only or unwritable shows up as EROFS or
 *   EACCES, and a recovered one is used again. The pipeline keeps the records queued and retries.
 * - Rotation by size and, with `rotateEvery`, at each hour or day (rotation-time.ts); then retention by
 *   count and by age; rotated files can be gzipped. Files are created 0600 in a 0700 directory.
 * - Safe under external rotation: `reopen()` (or `reopenOnSighup`) starts a fresh file at the path.
 */

export class AuditFileTransport extends AuditTransport {
  readonly path: string;
  readonly sinkName: string;
  readonly settings: Readonly<FileSinkSettings>;
  #handle: FileHandle | undefined;
  #size = 0;
  #lastRotation = 0;
  /** With rotateEvery: when the current file's period ends (ms since the epoch). */
  #periodEnd = Infinity;
  #periodTimer: NodeJS.Timeout | undefined;
  #closing = false;
  /** File operations run one after another, whoever asks. */
  #ops: Promise<unknown> = Promise.resolve();
  #maintenance: Promise<void> = Promise.resolve();
  /** The hash chain, once its key is loaded and its state recovered from disk. */
  #chain: ChainWriter | undefined;
  #chainTimer: NodeJS.Timeout | undefined;
  /** The append handed to the thread pool right now, for a synchronous write at exit (file-exit-write.ts). */
  #pending: PendingAppend | undefined;
  /** Where a batch is encoded (#encode); only ever used inside #serial, one append at a time. */
  #scratch = Buffer.allocUnsafeSlow(64 * 1024);
  readonly #onSighup = (): void => void this.reopen().catch((err: unknown) => void this.emit('warn', err));
  readonly #base: string;
  readonly #ext: string;
  readonly #rotated: RegExp;

  /**
   * @param options file settings
   * @param optionPrefix how errors name the options (`file` when it comes from `audit({ file })`)
   */
  constructor(options: AuditFileOptions = {}, optionPrefix = '') {
    super({});
    this.settings = Object.freeze(settingsFrom(options, optionPrefix));
    this.path = this.settings.path;
    this.sinkName = 'file:' + this.path;
    this.#ext = extname(this.path) || '.log';
    this.#base = basename(this.path, extname(this.path));
    const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    this.#rotated = new RegExp(`^${escape(this.#base)}-(\\d{8}T\\d{9}Z)${escape(this.#ext)}(\\.gz)?$`);
    // Vault's rule: a sink that cannot write is not enabled. Open once now to find out.
    try {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      const fd = openSync(this.path, 'a', this.settings.mode);
      const stat = fstatSync(fd);
      closeSync(fd);
      // A file left by an earlier process belongs to the period of its last write: if that has ended, the first batch starts a new file.
      if (this.settings.rotateAt) this.#periodEnd = this.settings.rotateAt(stat.size > 0 ? stat.mtimeMs : Date.now());
    } catch (err) {
      throw new AuditConfigError(
        'AUDITKIT_SINK_UNAVAILABLE',
        optionPrefix ? `${optionPrefix}.path` : 'path',
        `the audit file ${this.path} cannot be opened for appending (${(err as Error).message})`,
        'point it at a directory the service can write, or fix its permissions',
        err,
      );
    }
    if (this.settings.reopenOnSighup) process.on('SIGHUP', this.#onSighup);
    const chain = this.settings.chain;
    if (chain) {
      this.#chainTimer = setInterval(() => this.#intervalCheckpoint(chain.intervalMs), Math.min(chain.intervalMs, 1000));
      this.#chainTimer.unref();
    }
    this.#maintenance = this.#tidy().then(() => this.#retain());
    if (this.settings.rotateAt) this.#schedulePeriodEnd();
  }

  writeEntries(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    if (this.settings.chain) {
      const bodies = entries.map((e) => e.line);
      return this.#serial(() => this.#writeChained(bodies));
    }
    return this.#serial(async () => {
      // Encoded here, inside the serial section: the scratch buffer is free until this append ends.
      const buffer = this.#encode(entries);
      if (this.settings.rotateAt) await this.#open();
      if (this.#periodOver() || this.#wouldOverflow(buffer.length)) await this.#rotate(await this.#rotationTarget());
      await this.#append(buffer);
    });
  }

  /**
   * The batch as bytes, one line per record, in a buffer reused from batch to batch. Each line goes
   * straight into it: joining the lines into one string first, then encoding that, copied every
   * record twice more and left the joined string for the collector (a third of the write's cost).
   */
  #encode(entries: readonly AuditEntry[]): Buffer {
    let units = 0;
    for (const e of entries) units += e.line.length + 1;
    // UTF-8 takes at most three bytes per UTF-16 code unit (a surrogate pair: four for two).
    const need = units * 3;
    let buffer = this.#scratch;
    if (buffer.length < need) {
      buffer = Buffer.allocUnsafeSlow(Math.max(need, 2 * buffer.length));
      // An unusually large batch gets its own buffer rather than keeping that much memory for good.
      if (buffer.length <= SCRATCH_MAX) this.#scratch = buffer;
    }
    let at = 0;
    for (const e of entries) {
      at += buffer.write(e.line, at);
      buffer[at++] = 0x0a;
    }
    return buffer.subarray(0, at);
  }

  /**
   * Opens the file and, when it is tamper-evident, loads the key and picks up (or opens) its chain
   * now rather than at the first write: a command line does this before it runs, so that a record
   * written at `process.exit()` can continue the chain synchronously.
   */
  open(): Promise<void> {
    return this.#serial(async () => {
      await this.#open();
      if (this.settings.chain) await this.#ensureChain();
    });
  }

  /** The last resort while the process ends without its event loop; see file-exit-write.ts. */
  override writeEntriesSync(entries: readonly AuditEntry[]): boolean {
    return writeAtExit(
      { path: this.path, mode: this.settings.mode, durable: this.settings.durable, chain: this.#chain, chained: this.settings.chain !== undefined, pending: this.#pending },
      entries,
    );
  }

  /**
   * Closes the current file and opens the path afresh, e.g. after logrotate moved it away. A chained
   * file is closed with a checkpoint, like a rotation, and the new one opens with one: each file then
   * holds its own signed starting point, whatever name the old one was given.
   */
  reopen(): Promise<void> {
    return this.#serial(async () => {
      const chain = this.#chain?.state ? this.#chain : undefined;
      // Only an open handle still reaches the moved file; a closed one would write into the new file.
      if (chain && this.#handle && chain.state!.unsigned > 0) await this.#checkpoint('rotation');
      await this.#closeHandle();
      if (chain) await this.#checkpoint('reopen');
    });
  }

  /** Resolves when queued writes are done and rotated files have been compressed and pruned. */
  whenIdle(): Promise<void> {
    return Promise.all([this.#ops, this.#maintenance]).then(() => undefined);
  }

  protected async closeSink(): Promise<void> {
    process.off('SIGHUP', this.#onSighup);
    clearInterval(this.#chainTimer);
    this.#closing = true;
    clearTimeout(this.#periodTimer);
    await this.#serial(async () => {
      // A closed chain ends with a final checkpoint: anything after it in this chain is an insertion.
      if (this.#chain?.state) await this.#checkpoint('close', { final: true });
      await this.#closeHandle();
    });
    await this.#maintenance;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#ops.then(fn, fn);
    this.#ops = run.catch(() => undefined);
    return run;
  }

  /**
   * With rotateEvery: the current file's period has ended and the file holds something. An empty file
   * simply moves on to the current period: a file is never rotated with nothing in it.
   */
  #periodOver(): boolean {
    const now = Date.now();
    if (now < this.#periodEnd) return false;
    if (this.#size > 0) return true;
    this.#periodEnd = this.settings.rotateAt!(now);
    return false;
  }

  /**
   * Rotates at the boundary even when no record comes, so each file closes on time (a shipper or an
   * auditor waiting for the hour's file gets it); a batch arriving first rotates it itself.
   */
  #schedulePeriodEnd(): void {
    if (this.#closing) return;
    const now = Date.now();
    // A passed boundary with the file closed waits for the next write; the timer looks again at the next boundary.
    const at = this.#periodEnd > now ? this.#periodEnd : this.settings.rotateAt!(now);
    this.#periodTimer = setTimeout(() => {
      this.#serial(async () => {
        if (this.#closing || !this.#handle || !this.#periodOver()) return;
        if (this.settings.chain && this.#chain?.state) await this.#rotateChained();
        else if (!this.settings.chain) await this.#rotate(await this.#rotationTarget());
      })
        .catch((err: unknown) => void this.emit('warn', err))
        .finally(() => this.#schedulePeriodEnd());
    }, Math.min(Math.max(1, at - now), 2 ** 31 - 1));
    this.#periodTimer.unref();
  }

  #wouldOverflow(bytes: number): boolean {
    const { maxSize } = this.settings;
    return maxSize > 0 && this.#size > 0 && this.#size + bytes > maxSize;
  }

  async #open(): Promise<FileHandle> {
    if (this.#handle) return this.#handle;
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const handle = await openAsync(this.path, 'a', this.settings.mode);
    this.#size = (await handle.stat()).size;
    this.#handle = handle;
    // A kill inside write(2) or a power loss can leave the file ending in a cut line. End it, so the cut
    // record stays visible as one malformed line and the next record starts a line of its own.
    if (this.#size > 0 && !(await endsWithNewline(this.path, this.#size))) {
      try {
        await handle.write(NEWLINE);
        this.#size += 1;
      } catch (err) {
        await this.#closeHandle();
        throw err;
      }
    }
    return handle;
  }

  async #closeHandle(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    if (handle) await handle.close().catch(() => undefined);
  }

  /** Appends whole lines; on failure cuts the file back to where it was, so no record is ever split. */
  async #append(buffer: Buffer): Promise<void> {
    const handle = await this.#open();
    const before = this.#size;
    this.#pending = { before, length: buffer.length };
    try {
      let offset = 0;
      while (offset < buffer.length) {
        const { bytesWritten } = await handle.write(buffer, offset, buffer.length - offset);
        offset += bytesWritten;
      }
      if (this.settings.durable) await handle.datasync();
      this.#size = before + buffer.length;
      this.#pending = undefined;
    } catch (err) {
      this.#pending = undefined;
      // Never leave half a record: cut back to the last whole line, then let the next attempt reopen.
      await handle.truncate(before).catch(() => undefined);
      await this.#closeHandle();
      throw err;
    }
  }

  async #writeChained(bodies: string[]): Promise<void> {
    const chain = await this.#ensureChain();
    if (this.settings.rotateAt) await this.#open();
    if (this.#periodOver()) await this.#rotateChained();
    let sealed = await chain.sealSigned(bodies);
    if (this.#wouldOverflow(sealed.bytes.length)) {
      await this.#rotateChained();
      sealed = await chain.sealSigned(bodies);
    }
    await this.#commit(chain, sealed);
  }

  /** The rotated file ends with a checkpoint naming it, so a verifier can tell a missing file; the chain continues in the next. */
  async #rotateChained(): Promise<void> {
    const target = await this.#rotationTarget();
    await this.#checkpoint('rotation', { file: basename(target) });
    await this.#rotate(target);
  }

  /** Writes a signed checkpoint covering everything up to the head. */
  async #checkpoint(reason: CheckpointReason, extra: { final?: boolean; file?: string } = {}): Promise<void> {
    const chain = this.#chain!;
    await this.#commit(chain, await chain.checkpoint(reason, extra));
  }

  /** Appends sealed lines; only once they are written does the chain move on. */
  async #commit(chain: ChainWriter, sealed: Sealed): Promise<void> {
    await this.#append(sealed.bytes);
    chain.state = sealed.next;
    // Checkpoints are worth keeping off this machine: whoever can delete the whole directory can
    // delete every checkpoint in it too; `auditkit verify --anchors` checks the copy (docs/tamper-evidence.md).
    for (const cp of sealed.checkpoints) this.emit('checkpoint', cp);
  }

  #intervalCheckpoint(intervalMs: number): void {
    const state = this.#chain?.state;
    if (!state || state.unsigned === 0 || Date.now() - state.unsignedSince < intervalMs) return;
    this.#serial(async () => {
      if (this.#chain?.state && this.#chain.state.unsigned > 0) await this.#checkpoint('interval');
    }).catch((err: unknown) => void this.emit('warn', err));
  }

  /**
   * Loads the key and picks the chain up from disk (chain-recovery.ts). A tail this writer can vouch
   * for is continued, with a `restart` checkpoint signing what the stopped process left unsigned; a
   * chain closed with a final checkpoint is followed by a new one naming its head; a file without a
   * chain gets a new one. Anything else is a break: a new chain whose start record says where and why,
   * and a fault; nothing of the old chain is signed.
   */
  async #ensureChain(): Promise<ChainWriter> {
    if (this.#chain?.state) return this.#chain;
    const settings = this.settings.chain!;
    const writer =
      this.#chain ??
      new ChainWriter(await loadSigningKey(settings.key), { every: settings.every, intervalMs: settings.intervalMs, node: settings.node, path: this.path });
    this.#chain = writer;
    const { recovery } = await recoverChain(this.path, (await this.#rotatedFiles()).reverse(), (jws) => writer.ownCheckpoint(jws));
    // A crash cut the last line: #open() ends it before the next write, so it stays one cut record.
    if (recovery.kind === 'continue') {
      writer.state = recovery.state;
      try {
        await this.#checkpoint('restart');
      } catch (err) {
        writer.state = undefined;
        throw err;
      }
      return writer;
    }
    const opening =
      recovery.kind === 'closed'
        ? await writer.open(recovery.link, 'the previous chain was closed')
        : recovery.kind === 'break'
          ? await writer.open(null, 'the previous chain could not be vouched for', recovery.broken)
          : await writer.open(null, recovery.reason);
    await this.#commit(writer, opening);
    if (recovery.kind === 'break') {
      const b = recovery.broken;
      this.emit(
        'warn',
        new AuditFault(
          'AUDITKIT_CHAIN_BROKEN',
          `${this.sinkName}: the chain found in ${b.file} (chain ${b.chain}, head seq ${b.seq}) cannot be vouched for: ${b.problem} (line ${b.line}). ` +
            `It is left unsigned; a new chain ${writer.state!.chain} records the break. Run auditkit verify on the directory.`,
          this.sinkName,
        ),
      );
    }
    return writer;
  }

  async #rotatedFiles(): Promise<string[]> {
    const dir = dirname(this.path);
    return (await namesIn(dir))
      .filter((n) => this.#rotated.test(n))
      .sort()
      .map((n) => join(dir, n));
  }

  async #rotationTarget(): Promise<string> {
    const dir = dirname(this.path);
    const existing = new Set(await readdir(dir));
    // Two rotations in one millisecond take consecutive milliseconds, so names always sort by age
    // (never reusing an older stamp whose file retention has deleted).
    let ms = Math.max(Date.now(), this.#lastRotation + 1);
    let target = join(dir, `${this.#base}-${stamp(new Date(ms))}${this.#ext}`);
    while (existing.has(basename(target)) || existing.has(basename(target) + '.gz')) {
      ms++;
      target = join(dir, `${this.#base}-${stamp(new Date(ms))}${this.#ext}`);
    }
    this.#lastRotation = ms;
    return target;
  }

  async #rotate(target: string): Promise<void> {
    await this.#closeHandle();
    const dir = dirname(this.path);
    await rename(this.path, target);
    this.#size = 0;
    if (this.settings.rotateAt) this.#periodEnd = this.settings.rotateAt(Date.now());
    if (this.settings.durable) await syncDir(dir);
    const compress = this.settings.compress;
    this.#maintenance = this.#maintenance
      .then(async () => {
        if (compress) await this.#compress(target);
        await this.#retain();
      })
      .catch((err: unknown) => void this.emit('warn', err));
  }

  async #compress(file: string): Promise<void> {
    const tmp = file + '.gz.tmp';
    try {
      await pipeline(createReadStream(file), createGzip(), createWriteStream(tmp, { mode: this.settings.mode }));
      const h = await openAsync(tmp, 'r');
      await h.sync();
      await h.close();
      await rename(tmp, file + '.gz');
      await unlink(file);
    } catch (err) {
      // The uncompressed file stays; nothing is lost by a failed compression.
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Finishes what a killed process left of a compression: a `.gz` exists only once it is complete
   * (written, synced, renamed), so the uncompressed twin beside it goes, and so does a half-written
   * `.gz.tmp`. Left in place, the twin would show every record twice to a verifier.
   */
  async #tidy(): Promise<void> {
    const dir = dirname(this.path);
    const names = await namesIn(dir);
    const present = new Set(names);
    for (const n of names) {
      const twin = this.#rotated.test(n) && !n.endsWith('.gz') && present.has(n + '.gz');
      const partial = n.endsWith('.gz.tmp') && this.#rotated.test(n.slice(0, -'.gz.tmp'.length));
      if (twin || partial) await unlink(join(dir, n)).catch(() => undefined);
    }
  }

  /** Keeps at most maxFiles rotated files, none older than maxAgeDays. */
  async #retain(): Promise<void> {
    const { maxFiles, maxAgeDays } = this.settings;
    if (maxFiles === 0 && maxAgeDays === 0) return;
    const dir = dirname(this.path);
    const rotated = (await namesIn(dir))
      .map((n) => ({ n, m: this.#rotated.exec(n) }))
      .filter((x): x is { n: string; m: RegExpExecArray } => x.m !== null)
      .sort((a, b) => (a.n < b.n ? 1 : -1));
    const cutoff = maxAgeDays > 0 ? stamp(new Date(Date.now() - maxAgeDays * 86_400_000)) : '';
    for (let i = 0; i < rotated.length; i++) {
      const { n, m } = rotated[i]!;
      const tooMany = maxFiles > 0 && i >= maxFiles;
      // A chain in the live file continues from the checkpoint that ends the newest rotated file: keep it.
      const tooOld = cutoff !== '' && m[1]! < cutoff && !(this.settings.chain && i === 0);
      if (tooMany || tooOld) await unlink(join(dir, n)).catch(() => undefined);
    }
  }
}

/** The directory's entries; none when it cannot be read (it is created again on the next write). */
async function namesIn(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

async function syncDir(dir: string): Promise<void> {
  const h = await openAsync(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}
