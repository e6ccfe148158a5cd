import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { JWS_TYPE, jwsDigest, type ChainBreak, type CheckpointPayload } from './chain.js';
import { computeLineHash, isChainStartLine, isCheckpointLine, parseHeader } from './chain-line.js';
import { loadVerifyingKey, type PublicKeySource, type VerifyingKey } from './signing-key.js';
import { crossCheckAnchors, readAnchors, type AnchorSummary } from './verify-anchors.js';
import type { Entry, Report } from './verify-entry.js';

/**
 * Verifies tamper-evident audit files: recomputes every link of every chain (a verifier that checks
 * only the ends can be fooled, as immudb's was), checks every checkpoint signature and what it covers,
 * and reports every problem it finds, by kind and place, without stopping at the first.
 *
 * Unsigned records are judged by what a genuine writer can leave: it signs the start of every chain
 * at once, ends every rotated file with a rotation checkpoint, and never lets more records go
 * unsigned than the limit its last checkpoint states. Only a run after the last checkpoint of the
 * live file, within that limit, is a running (or crashed) service; anything else unsigned is damage.
 */

export type ProblemKind =
  | 'modified_record'
  | 'deleted_records'
  | 'inserted_record'
  | 'reordered_records'
  | 'missing_file'
  | 'truncated_tail'
  | 'malformed_line'
  | 'bad_signature'
  | 'key_mismatch'
  | 'checkpoint_mismatch'
  | 'missing_checkpoint'
  | 'records_after_final'
  | 'unsigned_records'
  | 'chain_break'
  | 'truncated'
  | 'rewritten'
  | 'unsigned_tail'
  | 'chain_start_missing'
  | 'no_chain'
  | 'no_key';

/** Problems that are not evidence of tampering: the report is still ok with them. */
const WARNINGS: ReadonlySet<ProblemKind> = new Set(['unsigned_tail', 'chain_start_missing', 'no_key']);

export interface Problem {
  kind: ProblemKind;
  severity: 'error' | 'warning';
  message: string;
  file?: string;
  line?: number;
  chain?: string;
  /** First (and last) seq concerned. */
  seq?: number;
  seqEnd?: number;
}

export interface ChainSummary {
  chain: string;
  records: number;
  checkpoints: number;
  firstSeq: number;
  lastSeq: number;
  /** Highest seq covered by a valid checkpoint; 0 when none. */
  signedThrough: number;
  /** The chain ended with a valid final checkpoint (a clean close). */
  closed: boolean;
}

export interface VerifyReport {
  ok: boolean;
  files: string[];
  records: number;
  checkpoints: number;
  chains: ChainSummary[];
  problems: Problem[];
  errors: number;
  warnings: number;
  /** With `anchors`: the checkpoints found in the external copy and how many the files hold too. */
  anchors?: AnchorSummary;
}

export interface VerifyOptions {
  /** The public key checkpoints must be signed with (a JWK, PEM, KeyObject, or { file }). Without it, signatures are not checked. */
  key?: PublicKeySource;
  /** Treat records after the last checkpoint as an error rather than a warning. */
  requireSigned?: boolean;
  /**
   * Files holding copies of the checkpoints kept elsewhere (what syslog received, e.g. rsyslog's
   * output): every checkpoint there must be in the audit files, unchanged.
   */
  anchors?: readonly string[];
}

const STAMPED = /^(.*)-(\d{8}T\d{9}Z)(\.[^.]+)(\.gz)?$/;
/** Written by writers before limits were recorded in every checkpoint. */
const DEFAULT_EVERY = 1000;

function isRotated(file: string): boolean {
  return STAMPED.test(basename(file));
}

/** Rotated files sort by their stamp, each before the live file of the same name in the same directory. */
function sortFiles(files: string[]): string[] {
  const key = (f: string): [string, string] => {
    const name = basename(f);
    const m = STAMPED.exec(name);
    return m ? [join(dirname(f), m[1]! + m[3]!), m[2]!] : [join(dirname(f), name.replace(/\.gz$/, '')), '\uffff'];
  };
  return [...files].sort((a, b) => {
    const [ba, sa] = key(a);
    const [bb, sb] = key(b);
    return ba < bb ? -1 : ba > bb ? 1 : sa < sb ? -1 : sa > sb ? 1 : 0;
  });
}

export async function collectFiles(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const s = await stat(p);
    if (s.isDirectory()) {
      for (const name of await readdir(p)) if (/\.(log|jsonl)(\.gz)?$/.test(name)) out.push(join(p, name));
    } else out.push(p);
  }
  return sortFiles(out);
}

export async function verifyAuditLog(paths: readonly string[], options: VerifyOptions = {}): Promise<VerifyReport> {
  const files = await collectFiles(paths);
  const problems: Problem[] = [];
  const add: Report = (p) => {
    const severity = WARNINGS.has(p.kind) && !(p.kind === 'unsigned_tail' && options.requireSigned) ? 'warning' : 'error';
    problems.push({ ...p, severity });
  };
  const chains = new Map<string, Entry[]>();
  /** The last chained line of each file. */
  const lastOf = new Map<string, Entry>();
  let records = 0;

  for (const [fileIndex, file] of files.entries()) {
    try {
      records += await readEntries(file, fileIndex === files.length - 1, chains, lastOf, add);
    } catch (err) {
      add({ kind: 'malformed_line', file, message: `cannot be read: ${(err as Error).message}` });
    }
  }

  let key: VerifyingKey | undefined;
  if (options.key !== undefined) key = await loadVerifyingKey(options.key);
  else if (chains.size > 0) add({ kind: 'no_key', message: 'no public key given: checkpoint signatures were not checked (pass --key)' });
  // Said once per plain file already; said here when nothing at all was found (empty files, garbage).
  if (chains.size === 0 && files.length > 0 && !problems.some((p) => p.kind === 'no_chain')) {
    add({ kind: 'no_chain', message: 'no chained records found: these files are not tamper-evident' });
  }

  const summaries: ChainSummary[] = [];
  const ordered = new Map<string, Entry[]>();
  let checkpoints = 0;
  for (const [chain, entries] of chains) {
    const { summary, genuine } = await verifyChain(chain, entries, key, lastOf, add);
    checkpoints += summary.checkpoints;
    summaries.push(summary);
    ordered.set(chain, genuine);
    checkLink(chain, entries, chains, add);
  }
  checkRotatedEnds(lastOf, add);

  let anchors: AnchorSummary | undefined;
  if (options.anchors !== undefined) {
    const read = await readAnchors(options.anchors, key, add);
    anchors = await crossCheckAnchors(read, ordered, add);
  }

  const errors = problems.filter((p) => p.severity === 'error').length;
  return { ok: errors === 0, files, records, checkpoints, chains: summaries, problems, errors, warnings: problems.length - errors, ...(anchors ? { anchors } : {}) };
}

/**
 * A rotated file is closed by its writer with a signed rotation checkpoint, always: one that ends
 * otherwise lost its end, or had its checkpoints stripped and its records re-linked.
 */
function checkRotatedEnds(lastOf: Map<string, Entry>, add: Report): void {
  for (const [file, last] of lastOf) {
    if (!isRotated(file)) continue;
    // A checkpoint that does not verify is reported as such already.
    if (last.kind === 'checkpoint' && (last.cp?.valid !== true || last.cp.payload?.reason === 'rotation')) continue;
    add({
      kind: 'unsigned_records',
      chain: last.chain,
      file,
      line: last.line,
      seq: last.seq,
      message:
        last.kind === 'checkpoint'
          ? `the rotated file ends with a ${String(last.cp?.payload?.reason)} checkpoint, not its signed rotation checkpoint: its end was cut off`
          : 'the rotated file does not end with its signed rotation checkpoint: records at its end are signed by nothing (its end was cut off, or its checkpoints were stripped and the records re-linked)',
    });
  }
}

const CHUNK = 8 * 1024 * 1024;

/** A file's bytes in chunks (decompressed for .gz), through one reused buffer for plain files. */
async function* chunks(file: string): AsyncGenerator<Buffer> {
  if (file.endsWith('.gz')) {
    yield* createReadStream(file).pipe(createGunzip({ chunkSize: 1024 * 1024 })) as AsyncIterable<Buffer>;
    return;
  }
  const handle = await open(file, 'r');
  // One buffer, read into again and again: fresh memory for a whole file costs more in page faults than the reading.
  const buffer = Buffer.allocUnsafe(CHUNK);
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/**
 * Reads one file's lines into their chains, streaming: lines are walked by offset in each chunk's
 * bytes, with no per-line copies and no per-line JSON parse; nothing but the parsed values outlives
 * its chunk, so memory stays flat however large the file.
 */
async function readEntries(file: string, isLast: boolean, chains: Map<string, Entry[]>, lastOf: Map<string, Entry>, add: Report): Promise<number> {
  let carry: Buffer | undefined;
  let line = 0;
  let records = 0;
  let lastChain: string | undefined;
  let lastList: Entry[] | undefined;
  let first: Entry | undefined;
  let last: Entry | undefined;
  // Unchained lines before the first chained one wait here: a file of nothing but plain records was
  // written without a chain (one no_chain problem), not damaged on every line.
  let pending: Array<Omit<Problem, 'severity'>> | undefined = [];
  let plain = 0;
  for await (const chunk of chunks(file)) {
    // A line cut by the chunk boundary is completed with the start of the next chunk.
    const data = carry ? Buffer.concat([carry, chunk]) : chunk;
    carry = undefined;
    let start = 0;
    for (;;) {
      const nl = data.indexOf(0x0a, start);
      if (nl === -1) {
        if (start < data.length) carry = Buffer.from(data.subarray(start));
        break;
      }
      line++;
      const lineStart = start;
      start = nl + 1;
      if (nl === lineStart) continue;
      const header = parseHeader(data, lineStart, nl, lastChain);
      if (!header) {
        const problem = { kind: 'malformed_line' as const, file, line, message: 'not a chained audit record (a line was cut, inserted without a chain, or garbled)' };
        if (pending) {
          pending.push(problem);
          if (isPlainRecord(data, lineStart, nl)) plain++;
        } else add(problem);
        continue;
      }
      if (pending) {
        for (const p of pending) add(p);
        pending = undefined;
      }
      records++;
      const kind = isCheckpointLine(data, header) ? 'checkpoint' : isChainStartLine(data, header) ? 'start' : 'record';
      const entry: Entry = {
        chain: header.chain,
        seq: header.seq,
        prev: header.prevHash,
        hash: header.hash,
        ok: computeLineHash(data, header, lineStart) === header.hash,
        kind,
        file,
        line,
        firstInFile: first === undefined,
        lastInFile: false,
        raw: kind === 'record' ? undefined : Buffer.from(data.subarray(lineStart, nl)),
        cp: undefined,
      };
      first ??= entry;
      last = entry;
      if (header.chain === lastChain) lastList!.push(entry);
      else {
        lastChain = header.chain;
        lastList = chains.get(header.chain);
        if (lastList) lastList.push(entry);
        else chains.set(header.chain, (lastList = [entry]));
      }
    }
  }
  if (pending && pending.length > 0) {
    if (plain === pending.length) {
      add({ kind: 'no_chain', file, message: `${plain} plain record(s) and no chained one: this file was written without a chain, so it is not tamper-evident (nothing in it can be verified)` });
    } else for (const p of pending) add(p);
  }
  if (carry && carry.length > 0) {
    add({
      kind: isLast ? 'truncated_tail' : 'malformed_line',
      file,
      line: line + 1,
      message: isLast ? 'the file ends in the middle of a record: its end was cut off' : 'a record without its end, in the middle of the trail',
    });
  }
  if (last) {
    last.lastInFile = true;
    lastOf.set(file, last);
  }
  return records;
}

/** Whether a line is a JSON object (an audit record written without a chain), not a cut or garbled line. */
function isPlainRecord(data: Buffer, start: number, end: number): boolean {
  if (data[start] !== 0x7b) return false;
  try {
    const value: unknown = JSON.parse(data.toString('utf8', start, end));
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}

/** A chain that starts by naming another must name a real record of it, and be hash-linked to it. */
function checkLink(chain: string, entries: Entry[], chains: Map<string, Entry[]>, add: Report): void {
  const start = entries.find((e) => e.kind === 'start' && e.seq === 1);
  if (!start?.raw) return;
  const link = (JSON.parse(start.raw.toString('utf8')) as { link?: { chain: string; seq: number; hash: string } | null }).link;
  if (!link) return;
  const where = { chain, file: start.file, line: start.line, seq: 1 };
  const named = chains.get(link.chain)?.find((e) => e.seq === link.seq && e.ok);
  if (chains.has(link.chain) && named?.hash !== link.hash) {
    add({ kind: 'modified_record', ...where, message: `the chain's start names record ${link.seq} of chain ${link.chain}, which does not match that record` });
  }
  if (start.prev !== link.hash) add({ kind: 'modified_record', ...where, message: 'the chain start does not hash-link to the record it names' });
}

async function verifyChain(
  chain: string,
  entries: Entry[],
  key: VerifyingKey | undefined,
  lastOf: Map<string, Entry>,
  add: Report,
): Promise<{ summary: ChainSummary; genuine: Entry[] }> {
  const where = (e: Entry) => ({ chain, file: e.file, line: e.line, seq: e.seq });

  // The usual case, an untouched chain, is strictly increasing in file order: it needs no sorting.
  let inOrder = true;
  for (let i = 1; i < entries.length && inOrder; i++) inOrder = entries[i]!.seq > entries[i - 1]!.seq;
  const genuine = inOrder ? entries : resolveOrder(chain, entries, add);

  let prev: Entry | undefined;
  let lastCheckpoint: { entry: Entry; digest: string } | undefined;
  let gapSinceCheckpoint = false;
  let signedThrough = 0;
  let checkpoints = 0;
  let finalSeq: number | undefined;
  let lastCheckpointEntry: Entry | undefined;
  let start: StartFields | undefined;
  for (const e of genuine) {
    if (!e.ok) add({ kind: 'modified_record', ...where(e), message: 'the record does not match its hash: its content was changed' });
    if (e.kind === 'start' && e.seq === 1 && e.raw) {
      start = startFields(e.raw);
      if (start.break) reportBreak(chain, e, start.break, add);
    }
    if (!prev) {
      // The checkpoint before the first one here is in older files: the first cannot be checked against it.
      gapSinceCheckpoint = e.seq !== 1;
      if (e.seq !== 1) add({ kind: 'chain_start_missing', ...where(e), seqEnd: e.seq - 1, message: `the chain begins at seq ${e.seq}: records 1 to ${e.seq - 1} are not in the files given` });
      else if (e.kind !== 'start') add({ kind: 'modified_record', ...where(e), message: 'seq 1 is not the chain start record' });
    } else if (e.seq > prev.seq + 1) {
      gapSinceCheckpoint = true;
      const atFileBoundary = prev.lastInFile && e.firstInFile && prev.file !== e.file;
      add({
        kind: atFileBoundary ? 'missing_file' : 'deleted_records',
        chain,
        file: e.file,
        line: e.line,
        seq: prev.seq + 1,
        seqEnd: e.seq - 1,
        message: atFileBoundary
          ? `records ${prev.seq + 1} to ${e.seq - 1} are missing between ${basename(prev.file)} and ${basename(e.file)}: a file is missing`
          : `records ${prev.seq + 1} to ${e.seq - 1} were deleted`,
      });
    } else if (e.prev !== prev.hash) {
      add({ kind: 'modified_record', ...where(prev), seqEnd: e.seq, message: `the link from seq ${prev.seq} to ${e.seq} is broken: one of them was rewritten with a recomputed hash` });
    }
    if (e.kind === 'checkpoint' && e.raw) {
      checkpoints++;
      const outcome = await checkCheckpoint(chain, e, prev, lastCheckpoint, gapSinceCheckpoint, key, add);
      e.cp = { valid: outcome.valid, digest: outcome.digest, payload: outcome.payload };
      lastCheckpointEntry = e;
      if (outcome.valid) {
        signedThrough = e.seq;
        if (outcome.final) finalSeq = e.seq;
      }
      lastCheckpoint = { entry: e, digest: outcome.digest };
      gapSinceCheckpoint = false;
    }
    prev = e;
  }

  if (finalSeq !== undefined) {
    for (const e of genuine) {
      if (e.seq > finalSeq) add({ kind: 'records_after_final', ...where(e), message: "a record follows the chain's final checkpoint: it was added after the log was closed" });
    }
  } else {
    const tail = genuine.filter((e) => e.seq > signedThrough);
    if (tail.length > 0) checkTail(chain, tail, lastCheckpointEntry, start, lastOf, add);
  }

  return {
    summary: {
      chain,
      records: entries.length,
      checkpoints,
      firstSeq: genuine[0]?.seq ?? 0,
      lastSeq: genuine.at(-1)?.seq ?? 0,
      signedThrough,
      closed: finalSeq !== undefined && finalSeq === genuine.at(-1)?.seq,
    },
    genuine,
  };
}

interface StartFields {
  every: number | undefined;
  break: ChainBreak | undefined;
}

function startFields(raw: Buffer): StartFields {
  try {
    const record = JSON.parse(raw.toString('utf8')) as { checkpoint_every?: unknown; break?: unknown };
    return {
      every: typeof record.checkpoint_every === 'number' ? record.checkpoint_every : undefined,
      break: typeof record.break === 'object' && record.break !== null ? (record.break as ChainBreak) : undefined,
    };
  } catch {
    return { every: undefined, break: undefined };
  }
}

/** A writer found the chain before this one untrustworthy and said so in this chain's first record. */
function reportBreak(chain: string, start: Entry, b: ChainBreak, add: Report): void {
  add({
    kind: 'chain_break',
    chain,
    file: start.file,
    line: start.line,
    seq: 1,
    message:
      `the writer that started this chain could not vouch for the chain it found (${String(b.chain)}, head seq ${String(b.seq)}, ` +
      `${String(b.file)} line ${String(b.line)}): ${String(b.problem)}. Those records may have been rewritten`,
  });
}

/**
 * The records after the chain's last valid checkpoint. A running or crashed writer leaves them only
 * at the end of its live file, no more than its last checkpoint's limit; any other unsigned run was
 * made by someone else. The run judged is the one after the last checkpoint line: one that does not
 * verify is reported on its own, and what precedes it is not unsigned for want of a checkpoint.
 */
function checkTail(chain: string, signedTail: Entry[], lastCheckpoint: Entry | undefined, start: StartFields | undefined, lastOf: Map<string, Entry>, add: Report): void {
  const tail = lastCheckpoint ? signedTail.filter((e) => e.seq > lastCheckpoint.seq) : signedTail;
  const warn = (): void =>
    add({
      kind: 'unsigned_tail',
      chain,
      file: signedTail[0]!.file,
      line: signedTail[0]!.line,
      seq: signedTail[0]!.seq,
      seqEnd: signedTail.at(-1)!.seq,
      message: `${signedTail.length} record(s) after the last checkpoint are not signed yet (a running service, or one that stopped uncleanly); they are hash-linked but could be rewritten undetected`,
    });
  if (tail.length === 0) return warn();
  const first = tail[0]!;
  const last = tail.at(-1)!;
  const at = { chain, file: first.file, line: first.line, seq: first.seq, seqEnd: last.seq };
  const range = first.seq === last.seq ? `record ${first.seq}` : `records ${first.seq} to ${last.seq}`;
  const unsigned = (message: string): void => add({ kind: 'unsigned_records', ...at, message });
  if (first.file !== last.file) {
    return unsigned(`${range} are signed by nothing, and run from ${basename(first.file)} into ${basename(last.file)}: a writer signs before every rotation`);
  }
  // A rotated file's end is judged on its own (checkRotatedEnds).
  if (isRotated(last.file)) return;
  if (lastOf.get(last.file) !== last) {
    return unsigned(`${range} are signed by nothing, yet another chain follows them in ${basename(last.file)}: a writer signs its chain before another one starts`);
  }
  if (!lastCheckpoint) {
    return unsigned(
      first.seq === 1
        ? `${range} are signed by nothing, not even the chain start: a writer signs its start as it writes it (checkpoints were stripped and the records re-linked)`
        : `${range} are signed by nothing, and the chain's start is not in the files given: nothing vouches for them (give the older files too)`,
    );
  }
  const every = lastCheckpoint.cp?.payload?.checkpoint_every ?? start?.every ?? DEFAULT_EVERY;
  if (tail.length > every) {
    return unsigned(`${tail.length} records follow the last checkpoint (seq ${lastCheckpoint.seq}), more than the ${every} its writer leaves unsigned: checkpoints were removed`);
  }
  warn();
}

/**
 * For a chain not in order: lines moved behind a larger seq are reported as reordered; when several
 * lines claim one seq, the genuine one is the one its successor links to, the others are insertions.
 * Returns one entry per seq, in seq order.
 */
function resolveOrder(chain: string, entries: Entry[], add: Report): Entry[] {
  const where = (e: Entry) => ({ chain, file: e.file, line: e.line, seq: e.seq });
  const seen = new Set<number>();
  let maxSeq = 0;
  for (const e of entries) {
    if (!seen.has(e.seq) && e.seq < maxSeq) add({ kind: 'reordered_records', ...where(e), message: `seq ${e.seq} appears after seq ${maxSeq}: records were moved` });
    seen.add(e.seq);
    if (e.seq > maxSeq) maxSeq = e.seq;
  }
  const bySeq = new Map<number, Entry[]>();
  for (const e of entries) {
    const claims = bySeq.get(e.seq);
    if (claims) claims.push(e);
    else bySeq.set(e.seq, [e]);
  }
  const genuine: Entry[] = [];
  for (const seq of [...bySeq.keys()].sort((a, b) => a - b)) {
    const claims = bySeq.get(seq)!;
    if (claims.length === 1) {
      genuine.push(claims[0]!);
      continue;
    }
    const next = bySeq.get(seq + 1);
    const linked = claims.find((c) => c.ok && next?.some((n) => n.prev === c.hash)) ?? claims.find((c) => c.ok) ?? claims[0]!;
    genuine.push(linked);
    for (const c of claims) if (c !== linked) add({ kind: 'inserted_record', ...where(c), message: `a second record claims seq ${seq}; the chain continues from the other one` });
  }
  return genuine;
}

/** A checkpoint: its signature and key, what it covers, and its place in the checkpoints' own chain. */
async function checkCheckpoint(
  chain: string,
  e: Entry,
  before: Entry | undefined,
  last: { entry: Entry; digest: string } | undefined,
  gapBefore: boolean,
  key: VerifyingKey | undefined,
  add: Report,
): Promise<{ valid: boolean; final: boolean; digest: string; payload: CheckpointPayload | undefined }> {
  const where = { chain, file: e.file, line: e.line, seq: e.seq };
  let jws: string;
  let payload: CheckpointPayload;
  try {
    jws = (JSON.parse(e.raw!.toString('utf8')) as { checkpoint: string }).checkpoint;
    payload = JSON.parse(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8')) as CheckpointPayload;
  } catch {
    add({ kind: 'bad_signature', ...where, message: 'the checkpoint is not a readable JWS' });
    return { valid: false, final: false, digest: '', payload: undefined };
  }
  const digest = jwsDigest(jws);
  let valid = true;
  if (key) {
    let kid: unknown;
    try {
      const header = decodeProtectedHeader(jws);
      kid = header.typ === JWS_TYPE ? header.kid : undefined;
    } catch {
      kid = undefined;
    }
    if (kid !== key.kid) {
      valid = false;
      add({ kind: 'key_mismatch', ...where, message: `the checkpoint is signed with key ${String(kid)}, not the given key ${key.kid}` });
    } else {
      try {
        // The signature covers the payload exactly as encoded in the JWS, so what was read above is what was signed.
        await compactVerify(jws, key.key, { algorithms: [key.alg] });
      } catch {
        valid = false;
        add({ kind: 'bad_signature', ...where, message: 'the checkpoint signature does not verify: it was forged or altered' });
      }
    }
  }
  const expectedFirst = (last?.entry.seq ?? 0) + 1;
  const expectedPrev = last?.digest ?? null;
  if (payload.chain !== chain || payload.last_seq !== e.seq - 1) {
    valid = false;
    add({ kind: 'checkpoint_mismatch', ...where, message: 'the checkpoint does not belong at this place in the chain' });
  } else if (before?.seq === payload.last_seq && before.hash !== payload.head_hash) {
    valid = false;
    add({
      kind: 'checkpoint_mismatch',
      ...where,
      seq: payload.first_seq,
      seqEnd: payload.last_seq,
      message: `records ${payload.first_seq} to ${payload.last_seq} are not the ones this checkpoint signed: the chain was rewritten`,
    });
  } else if ((payload.first_seq !== expectedFirst || payload.prev_checkpoint !== expectedPrev) && !gapBefore) {
    // Records missing before it are reported already; otherwise a checkpoint was removed or replaced.
    add({ kind: 'missing_checkpoint', ...where, message: 'the previous checkpoint is not the one this checkpoint follows: a checkpoint was removed or replaced' });
  }
  return { valid, final: payload.final === true, digest, payload };
}
