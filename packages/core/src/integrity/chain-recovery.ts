import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { jwsDigest, type ChainBreak, type ChainState, type CheckpointPayload } from './chain.js';
import { computeLineHash, isCheckpointLine, parseHeader, peekCheckpoint, splitLines, type LineHeader } from './chain-line.js';

/**
 * What a writer starting on an existing file may do with the chain it finds there. It attests only
 * what it can prove it wrote: the records after its own last signed checkpoint, hash-linked to it,
 * in the same file, no more of them than that checkpoint says a writer leaves unsigned. Anything
 * else (no signed checkpoint, a broken link, a run too long or crossing files, records after a final
 * checkpoint) is a break: the writer starts a new chain that records where and why, and signs
 * nothing of the old one. Without this a service restarted on a rewritten directory would sign the
 * forgery itself (issue 9).
 */

export type Recovery =
  /** No chain to continue: a new file, or one without chained records. */
  | { kind: 'new'; reason: string }
  /** An intact chain whose unsigned tail this writer can vouch for: continue it. */
  | { kind: 'continue'; state: ChainState }
  /** A chain closed with a final checkpoint: start a new one naming its head. */
  | { kind: 'closed'; link: { chain: string; seq: number; hash: string } }
  | { kind: 'break'; broken: ChainBreak };

/** Verifies a checkpoint JWS with the writer's own key; undefined when it was not signed by it. */
export type OwnCheckpoint = (jws: string) => Promise<CheckpointPayload | undefined>;

/** Written by writers before limits were recorded in every checkpoint. */
const DEFAULT_EVERY = 1000;

interface FileLines {
  file: string;
  lines: Buffer[];
}

async function readLines(file: string): Promise<{ lines: Buffer[]; partial: boolean } | undefined> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch {
    return undefined;
  }
  if (file.endsWith('.gz')) data = gunzipSync(data);
  const { lines, partial } = splitLines(data);
  return { lines, partial: partial !== undefined };
}

/** The index of the last line with a chain header, or -1. */
function lastChained(lines: Buffer[]): number {
  for (let i = lines.length - 1; i >= 0; i--) if (parseHeader(lines[i]!)) return i;
  return -1;
}

/**
 * Reads the end of the trail: the live file, or when it is empty or missing, the newest rotated file
 * (`rotated` is newest first). `cutLine` says the live file ends in the middle of a line (a crash
 * during a write): the caller ends it, so it stays visible as a cut record.
 */
export async function recoverChain(live: string, rotated: readonly string[], own: OwnCheckpoint): Promise<{ recovery: Recovery; cutLine: boolean }> {
  const current = await readLines(live);
  const cutLine = current?.partial === true;
  if (current && current.lines.length > 0) {
    const h = lastChained(current.lines);
    if (h === -1) return { recovery: { kind: 'new', reason: 'the file held no chain' }, cutLine };
    const previous = rotated[0];
    return { recovery: await walk({ file: live, lines: current.lines }, h, previous, own), cutLine };
  }
  for (const file of rotated) {
    const r = await readLines(file);
    if (!r || r.lines.length === 0) continue;
    const h = lastChained(r.lines);
    if (h === -1) return { recovery: { kind: 'new', reason: 'the file held no chain' }, cutLine };
    return { recovery: await walk({ file, lines: r.lines }, h, undefined, own, true), cutLine };
  }
  return { recovery: { kind: 'new', reason: 'new' }, cutLine };
}

/**
 * From the head back to the last checkpoint, checking every hash and link on the way. `previous`
 * is the file before (the run may begin right after the rotation checkpoint that ends it); a rotated
 * file must itself end with its checkpoint.
 */
async function walk(at: FileLines, h: number, previous: string | undefined, own: OwnCheckpoint, mustEndSigned = false): Promise<Recovery> {
  const head = parseHeader(at.lines[h]!)!;
  const broken = (line: number, problem: string, file = at.file): Recovery => ({
    kind: 'break',
    broken: { chain: head.chain, seq: head.seq, hash: head.hash, file: basename(file), line, problem },
  });
  let later: LineHeader | undefined;
  let run = 0;
  for (let i = h; i >= 0; i--) {
    const line = at.lines[i]!;
    const header = parseHeader(line);
    // A line a crash cut is not part of the chain (the links go around it); the verifier reports it.
    if (!header) continue;
    if (header.chain !== head.chain) return broken(i + 1, `a line of another chain (${header.chain}) sits among the unsigned records of chain ${head.chain}`);
    if (computeLineHash(line, header) !== header.hash) return broken(i + 1, `the record at seq ${header.seq} does not match its hash`);
    if (later && (header.seq !== later.seq - 1 || header.hash !== later.prevHash)) return broken(i + 1, `the link from seq ${header.seq} to seq ${later.seq} is broken`);
    if (isCheckpointLine(line, header)) {
      if (mustEndSigned && run > 0) return broken(h + 1, `the rotated file does not end with its rotation checkpoint: ${run} record(s) follow seq ${header.seq}`);
      return judge(line, header, head, run, own, (problem) => broken(i + 1, problem));
    }
    run++;
    later = header;
  }
  const first = later!;
  if (first.seq === 1) return broken(1, 'the chain start is not signed: a writer signs it as it writes it');
  if (mustEndSigned) return broken(h + 1, 'the rotated file does not end with its rotation checkpoint');
  // The run reaches the start of the file: it is genuine only if the file before ends with the checkpoint it follows.
  const before = previous ? await readLines(previous) : undefined;
  const p = before ? lastChained(before.lines) : -1;
  const header = p === -1 ? undefined : parseHeader(before!.lines[p]!);
  if (!header || header.chain !== head.chain || header.seq !== first.seq - 1 || header.hash !== first.prevHash || !isCheckpointLine(before!.lines[p]!, header)) {
    return broken(1, `no signed checkpoint precedes records ${first.seq} to ${head.seq}: they cross from an earlier file without one`);
  }
  if (computeLineHash(before!.lines[p]!, header) !== header.hash) return broken(p + 1, `the checkpoint at seq ${header.seq} does not match its hash`, previous);
  return judge(before!.lines[p]!, header, head, run, own, (problem) => broken(p + 1, problem, previous));
}

/** The last checkpoint must be this writer's, sign the records before it, and be followed by no more than its limit. */
async function judge(line: Buffer, cp: LineHeader, head: LineHeader, run: number, own: OwnCheckpoint, broken: (problem: string) => Recovery): Promise<Recovery> {
  const jws = peekCheckpoint(line)?.jws;
  const payload = jws === undefined ? undefined : await own(jws);
  if (!payload) return broken(`the last checkpoint (seq ${cp.seq}) is not signed by this writer's key`);
  if (payload.chain !== cp.chain || payload.last_seq !== cp.seq - 1 || payload.head_hash !== cp.prevHash) {
    return broken(`the last checkpoint (seq ${cp.seq}) does not sign the records before it`);
  }
  const every = typeof payload.checkpoint_every === 'number' ? payload.checkpoint_every : DEFAULT_EVERY;
  if (run > every) return broken(`${run} records follow the last checkpoint (seq ${cp.seq}), more than the ${every} a writer leaves unsigned`);
  if (payload.final === true) {
    if (run > 0) return broken(`${run} record(s) follow the chain's final checkpoint (seq ${cp.seq})`);
    return { kind: 'closed', link: { chain: head.chain, seq: head.seq, hash: head.hash } };
  }
  return {
    kind: 'continue',
    state: {
      chain: head.chain,
      seq: head.seq,
      hash: head.hash,
      checkpoint: { seq: cp.seq, digest: jwsDigest(jws!) },
      unsigned: run,
      unsignedSince: Date.now(),
    },
  };
}
