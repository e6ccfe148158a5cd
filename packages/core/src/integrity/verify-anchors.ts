import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { JWS_TYPE, checkpointPayloadOf, jwsDigest, type CheckpointPayload } from './chain.js';
import type { VerifyingKey } from './signing-key.js';
import type { Entry, Report } from './verify-entry.js';

/**
 * Checkpoints kept outside the machine (shipped to syslog as they were made) against the audit files.
 * The files alone cannot show that their end was cut off or that the whole trail was rewritten from
 * a point on: whoever can write them can remove the checkpoints with the records. A copy kept apart
 * can, as CloudTrail's digest files kept apart from the logs do: every checkpoint in it must be in
 * the files, unchanged, at its place.
 *
 * The copy may be in any text form that keeps each checkpoint's JWS whole (rsyslog's files, a SIEM's
 * JSON export, plain lines): checkpoints are found as compact JWS tokens whose header says
 * `typ: auditkit-checkpoint`. Checkpoints of other trails in the same copy (other services, other
 * instances) are told apart by the node and file their signed payload names.
 */

export interface AnchorSummary {
  files: string[];
  /** Distinct checkpoints of this key found in the copy. */
  checkpoints: number;
  /** Of those, found unchanged in the audit files. */
  matched: number;
  /** Older than the files given (removed by retention, or not given): not checked. */
  older: number;
  /** Of other trails or other keys: not concerned. */
  ignored: number;
}

interface Anchor {
  jws: string;
  digest: string;
  payload: CheckpointPayload;
  file: string;
  line: number;
}

/** Compact JWS tokens; a JSON header always begins `{"`, which is `eyJ` in base64url. */
const TOKEN = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g;

export interface Anchors {
  anchors: Anchor[];
  files: string[];
  ignored: number;
  key: VerifyingKey | undefined;
}

/**
 * The checkpoints in the copy, streamed line by line (a syslog file can be large). Signatures are
 * checked later, and only where a checkpoint would be reported: one the files hold unchanged was
 * verified there already.
 */
export async function readAnchors(files: readonly string[], key: VerifyingKey | undefined, add: Report): Promise<Anchors> {
  const anchors: Anchor[] = [];
  const seen = new Set<string>();
  let ignored = 0;
  for (const file of files) {
    const raw = createReadStream(file);
    const lines = createInterface({ input: file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw, crlfDelay: Infinity });
    let i = -1;
    for await (const text of lines) {
      i++;
      if (!text.includes('eyJ')) continue;
      for (const [jws] of text.matchAll(TOKEN)) {
        let header: ReturnType<typeof decodeProtectedHeader>;
        try {
          header = decodeProtectedHeader(jws);
        } catch {
          continue;
        }
        if (header.typ !== JWS_TYPE || seen.has(jws)) continue;
        seen.add(jws);
        const where = { file, line: i + 1 };
        if (key && header.kid !== key.kid) {
          ignored++;
          continue;
        }
        const payload = checkpointPayloadOf(jws);
        if (!payload || typeof payload.chain !== 'string' || typeof payload.last_seq !== 'number') {
          add({ kind: 'bad_signature', ...where, message: 'a checkpoint in the external copy has no readable payload' });
          continue;
        }
        anchors.push({ jws, digest: jwsDigest(jws), payload, file, line: i + 1 });
      }
    }
  }
  return { anchors, files: [...files], ignored, key };
}

/** Whether an anchor's signature holds (without a key nothing is checked); one that does not is reported against the copy. */
async function genuine(a: Anchor, key: VerifyingKey | undefined, add: Report): Promise<boolean> {
  if (!key) return true;
  try {
    await compactVerify(a.jws, key.key, { algorithms: [key.alg] });
    return true;
  } catch {
    add({ kind: 'bad_signature', file: a.file, line: a.line, message: 'a checkpoint in the external copy does not verify: the copy was altered' });
    return false;
  }
}

interface Trail {
  minTime: number;
  maxTime: number;
}

const trailOf = (p: CheckpointPayload): string => `${String(p.node)}\u0000${String(p.path)}`;

/** Every anchor of a chain in the files must be there at its seq, the same JWS; anchors beyond the files' end mean they were cut. */
export async function crossCheckAnchors(read: Anchors, chains: Map<string, Entry[]>, add: Report): Promise<AnchorSummary> {
  const summary: AnchorSummary = { files: read.files, checkpoints: read.anchors.length, matched: 0, older: 0, ignored: read.ignored };
  // The trails the files hold, from their own valid checkpoints: which node and file, and when.
  const trails = new Map<string, Trail>();
  for (const entries of chains.values()) {
    for (const e of entries) {
      const p = e.cp?.valid ? e.cp.payload : undefined;
      if (!p || typeof p.time !== 'number') continue;
      const t = trails.get(trailOf(p));
      if (!t) trails.set(trailOf(p), { minTime: p.time, maxTime: p.time });
      else {
        t.minTime = Math.min(t.minTime, p.time);
        t.maxTime = Math.max(t.maxTime, p.time);
      }
    }
  }

  const byChain = new Map<string, Anchor[]>();
  for (const a of read.anchors) {
    const list = byChain.get(a.payload.chain);
    if (list) list.push(a);
    else byChain.set(a.payload.chain, [a]);
  }

  for (const [chain, all] of byChain) {
    all.sort((a, b) => a.payload.last_seq - b.payload.last_seq);
    const entries = chains.get(chain);
    if (entries && entries.length > 0) {
      await checkChain(chain, all, entries, summary, read.key, add);
      continue;
    }
    // A whole chain the copy knows and the files do not: judged on its genuine checkpoints only.
    const anchors: Anchor[] = [];
    for (const a of all) if (await genuine(a, read.key, add)) anchors.push(a);
    if (anchors.length === 0) continue;
    const newest = anchors.at(-1)!;
    const trail = trails.get(trailOf(newest.payload));
    let newestTime = -Infinity;
    let oldestTime = Infinity;
    for (const a of anchors) {
      newestTime = Math.max(newestTime, a.payload.time);
      oldestTime = Math.min(oldestTime, a.payload.time);
    }
    const upTo = `the external copy has its checkpoints up to seq ${newest.payload.last_seq + 1}${newest.payload.final ? ' (closed)' : ''} (${basename(newest.file)}:${newest.line})`;
    if (chains.size === 0) {
      add({ kind: 'truncated', chain, seq: 1, seqEnd: newest.payload.last_seq + 1, message: `chain ${chain} is in none of the files, which hold no chain at all; ${upTo}: the trail was deleted` });
    } else if (!trail) {
      summary.ignored += anchors.length;
    } else if (newestTime > trail.maxTime) {
      add({ kind: 'truncated', chain, seq: 1, seqEnd: newest.payload.last_seq + 1, message: `chain ${chain} of this trail is in none of the files, and is newer than all of them; ${upTo}: the end of the trail was cut off` });
    } else if (oldestTime >= trail.minTime) {
      add({ kind: 'missing_file', chain, seq: 1, seqEnd: newest.payload.last_seq + 1, message: `chain ${chain} of this trail is in none of the files, though older and newer chains are; ${upTo}: its files were deleted` });
    } else {
      summary.older += anchors.length;
    }
  }
  return summary;
}

async function checkChain(chain: string, anchors: Anchor[], entries: Entry[], summary: AnchorSummary, key: VerifyingKey | undefined, add: Report): Promise<void> {
  const bySeq = new Map<number, Entry>();
  for (const e of entries) bySeq.set(e.seq, e);
  const firstSeq = entries[0]!.seq;
  const last = entries.at(-1)!;
  let beyond: Anchor | undefined;
  for (const a of anchors) {
    const seq = a.payload.last_seq + 1;
    if (seq < firstSeq) {
      summary.older++;
      continue;
    }
    if (seq > last.seq) {
      if (await genuine(a, key, add)) beyond = a;
      continue;
    }
    const e = bySeq.get(seq);
    // A gap in the files is reported as deleted records already.
    if (!e) continue;
    // The same JWS as the file's checkpoint: its signature was judged there.
    if (e.kind === 'checkpoint' && e.cp?.digest === a.digest) {
      summary.matched++;
      continue;
    }
    if (!(await genuine(a, key, add))) continue;
    add({
      kind: 'rewritten',
      chain,
      file: e.file,
      line: e.line,
      seq,
      message: `the external copy has a checkpoint at seq ${seq} (${basename(a.file)}:${a.line}, covering seq ${a.payload.first_seq} to ${a.payload.last_seq}); the files hold ${e.kind === 'checkpoint' ? 'a different checkpoint' : 'another record'} there: the trail was rewritten`,
    });
  }
  if (beyond) {
    const end = beyond.payload.last_seq + 1;
    add({
      kind: 'truncated',
      chain,
      file: last.file,
      line: last.line,
      seq: last.seq + 1,
      seqEnd: end,
      message: `the files end at seq ${last.seq}, but the external copy has a checkpoint at seq ${end}${beyond.payload.final ? ' (the final one)' : ''} (${basename(beyond.file)}:${beyond.line}): records ${last.seq + 1} to ${end} were cut off`,
    });
  }
}
