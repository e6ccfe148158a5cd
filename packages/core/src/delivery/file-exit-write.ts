import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import type { ChainWriter } from '../integrity/chain.js';
import { computeLineHash, isCheckpointLine, parseHeader, peekCheckpoint, splitLines } from '../integrity/chain-line.js';
import type { AuditEntry } from '../record/entry.js';

/**
 * The audit file's last resort: writing records synchronously while the process ends without its
 * event loop (`process.exit()` inside a command, an uncaught exception). An `exit` listener cannot
 * wait for anything, so this uses only synchronous calls, and it cannot trust the transport's
 * in-memory state, whose updates wait in callbacks that will never run:
 *
 * - An append that was handed to the thread pool may or may not have landed. The thread pool keeps
 *   working while the main thread is blocked here, so we wait (a bounded sleep, in steps) until the
 *   file has grown by that append.
 * - What is already on disk is read back from the file's tail: a record whose id is there is not
 *   written again, and a tamper-evident file continues its chain from the last intact line on disk,
 *   not from memory.
 *
 * Returns false when it cannot write safely (the chain's head is unknown, the file cannot be
 * opened), so the caller can spool the records or report them lost.
 */

export interface PendingAppend {
  before: number;
  length: number;
}

export interface ExitWriteTarget {
  path: string;
  mode: number;
  durable: boolean;
  /** Set for a tamper-evident file whose key is loaded; `chained` without it: the chain cannot be continued. */
  chain: ChainWriter | undefined;
  chained: boolean;
  pending: PendingAppend | undefined;
}

const SETTLE_MS = 2000;
const STEP_MS = 2;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function waitForPending(target: ExitWriteTarget): boolean {
  const pending = target.pending;
  if (pending === undefined) return true;
  const want = pending.before + pending.length;
  const deadline = Date.now() + SETTLE_MS;
  while (sizeOf(target.path) < want) {
    if (Date.now() >= deadline) return false;
    Atomics.wait(sleeper, 0, 0, STEP_MS);
  }
  return true;
}

function readTail(path: string, bytes: number): Buffer {
  const size = sizeOf(path);
  const length = Math.min(size, bytes);
  if (length === 0) return Buffer.alloc(0);
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const n = readSync(fd, buffer, read, length - read, size - length + read);
      if (n === 0) break;
      read += n;
    }
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/** The last intact chained line in `tail`, and whether it closed its chain. */
function chainHead(tail: Buffer): { chain: string; seq: number; hash: string; closed: boolean } | undefined {
  const { lines } = splitLines(tail);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    const header = parseHeader(line);
    if (!header || computeLineHash(line, header) !== header.hash) continue;
    const closed = isCheckpointLine(line, header) && peekCheckpoint(line)?.payload.final === true;
    return { chain: header.chain, seq: header.seq, hash: header.hash, closed };
  }
  return undefined;
}

export function writeAtExit(target: ExitWriteTarget, entries: readonly AuditEntry[]): boolean {
  if (entries.length === 0) return true;
  const settled = waitForPending(target);
  // A chained append still in the air would land after ours with the same sequence numbers.
  if (!settled && target.chained) return false;
  if (target.chained && target.chain === undefined) return false;

  let need = 1024 * 1024;
  for (const e of entries) need += e.line.length * 2 + 512;
  const tail = readTail(target.path, need);
  const text = tail.toString('latin1');
  const missing = entries.filter((e) => !text.includes(`"id":"${e.head.id}"`));
  if (missing.length === 0) return true;

  let bytes: Buffer;
  if (target.chain) {
    const writer = target.chain;
    const head = chainHead(tail);
    const bodies = missing.map((e) => e.line);
    // A new chain must open with a signed checkpoint, which cannot be made without the event loop:
    // only an open chain on disk is continued (Auditor.ready() opens one before a command runs).
    if (head === undefined || head.closed) return false;
    writer.state = { chain: head.chain, seq: head.seq, hash: head.hash, checkpoint: null, unsigned: 0, unsignedSince: Date.now() };
    bytes = writer.seal(bodies).bytes;
    // The process is ending; should it not, the next asynchronous write finds its head on disk again.
    writer.state = undefined;
  } else {
    let out = '';
    for (const e of missing) out += e.line + '\n';
    bytes = Buffer.from(out, 'utf8');
  }

  let fd: number;
  try {
    fd = openSync(target.path, 'a', target.mode);
  } catch {
    return false;
  }
  let before = -1;
  try {
    before = fstatSync(fd).size;
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    if (target.durable) fdatasyncSync(fd);
    return true;
  } catch {
    // Never leave half a record (a full disk): cut back to the last whole line.
    if (before >= 0) {
      try {
        ftruncateSync(fd, before);
      } catch {
        // Nothing more can be done while the process ends; the caller reports the records.
      }
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

