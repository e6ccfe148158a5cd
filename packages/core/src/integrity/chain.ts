import { createHash, createPublicKey, hash, randomBytes, type KeyObject } from 'node:crypto';
import { hostname } from 'node:os';
import { CompactSign, compactVerify } from 'jose';
import { canonicalJson } from '../shared/canonical.js';
import { nowMicros, Rfc3339Formatter } from '../shared/clock.js';
import { uuidv7 } from '../shared/ids.js';
import type { SigningKey } from './signing-key.js';

/**
 * The hash chain that makes an audit file tamper-evident.
 *
 * A chained line is the record's canonical JSON (RFC 8785) between a fixed header and its hash:
 *
 *   {"chain":"<id>","seq":<n>,"prev_hash":"<hex>",<the record's canonical fields>,"hash":"<hex>"}
 *
 *   hash = SHA-256("auditkit-chain-v1\n" + the line's bytes before ',"hash":"')
 *
 * The hashed bytes are the domain-separating prefix (as RFC 6962 prefixes leaves and nodes), then the
 * chain id, seq and previous hash, then the canonical record: a record cannot be moved, renumbered or
 * re-linked without breaking its own hash or its successor's link. Because the hash closes the line,
 * what it covers is one contiguous run of bytes on disk, so a verifier hashes the file as it is, with
 * no JSON parse and no re-serialisation, at a few microseconds a record.
 *
 * The chain alone is keyless: whoever can write the file can recompute it. Signed checkpoints close
 * that gap: a checkpoint record carries a JWS over the chain id, the seq range it covers, the head
 * hash and the previous checkpoint's signature (so checkpoints chain too). It is itself a link of the
 * chain.
 */

export const HASH_PREFIX = 'auditkit-chain-v1\n';
export const GENESIS = '0'.repeat(64);
export const CHECKPOINT_EVENT = 'audit.checkpoint';
export const CHAIN_START_EVENT = 'audit.chain_start';
export const JWS_TYPE = 'auditkit-checkpoint';

/** The chain's own records are stamped in UTC: the transport does not know the auditor's offset. */
const utc = new Rfc3339Formatter('utc');

/** The part of a chained line the hash covers: everything before `,"hash":"`. */
export function linkedPart(chain: string, seq: number, prevHash: string, canonicalRecord: string): string {
  return `{"chain":"${chain}","seq":${seq},"prev_hash":"${prevHash}",${canonicalRecord.slice(1, -1)}`;
}

export function linkHash(chain: string, seq: number, prevHash: string, canonicalRecord: string): string {
  return hash('sha256', HASH_PREFIX + linkedPart(chain, seq, prevHash, canonicalRecord), 'hex');
}

/** The line on disk for a record whose canonical JSON is `canonicalRecord`, and its hash. */
export function chainedLine(chain: string, seq: number, prevHash: string, canonicalRecord: string): { line: string; hash: string } {
  const part = linkedPart(chain, seq, prevHash, canonicalRecord);
  const h = hash('sha256', HASH_PREFIX + part, 'hex');
  return { line: part + ',"hash":"' + h + '"}', hash: h };
}

export interface ChainState {
  chain: string;
  seq: number;
  hash: string;
  /** The last checkpoint: its seq and the SHA-256 of its JWS, which the next one must carry. */
  checkpoint: { seq: number; digest: string } | null;
  /** Records since the last checkpoint, and when the first of them was written. */
  unsigned: number;
  unsignedSince: number;
}

export type CheckpointReason = 'start' | 'count' | 'interval' | 'rotation' | 'reopen' | 'close' | 'restart';

export interface CheckpointPayload {
  v: 1;
  chain: string;
  first_seq: number;
  last_seq: number;
  head_hash: string;
  prev_checkpoint: string | null;
  reason: CheckpointReason;
  time: number;
  /**
   * The writer's limits from here on: it signs a checkpoint at the latest after this many records
   * (or this long). Signed, so a verifier can tell a run of unsigned records no writer would leave.
   */
  checkpoint_every: number;
  checkpoint_interval_ms: number;
  /** The host and file the chain is written to: which trail a checkpoint kept elsewhere belongs to. */
  node: string;
  path: string;
  final?: true;
  file?: string;
}

/** Where a chain was found broken when a writer started, recorded in the chain that replaces it. */
export interface ChainBreak {
  /** The head of the chain the writer could not vouch for. */
  chain: string;
  seq: number;
  hash: string;
  /** The file and line where it stopped trusting it, and why. */
  file: string;
  line: number;
  problem: string;
}

/** A checkpoint as written, for the `checkpoint` event (the line is what can be shipped elsewhere). */
export interface WrittenCheckpoint {
  jws: string;
  line: string;
  chain: string;
  seq: number;
  reason: CheckpointReason;
  final: boolean;
}

/** Bytes to append and the chain state once they are written; the caller commits it only then. */
export interface Sealed {
  bytes: Buffer;
  next: ChainState;
  checkpoints: WrittenCheckpoint[];
}

export interface ChainSettings {
  every: number;
  intervalMs: number;
  node: string;
  /** The file the chain is written to, as the writer names it. */
  path: string;
}

const DOMAIN_BYTES = Buffer.byteLength(HASH_PREFIX);
/** `{"chain":"` + 64 + `","seq":` + 16 + `,"prev_hash":"` + 64 + `",`, rounded up. */
const HEADER_MAX = 200;
/** `,"hash":"` + 64 + `"}`. */
const TAIL_BYTES = 75;
let scratch = Buffer.allocUnsafe(64 * 1024);
scratch.write(HASH_PREFIX, 0, 'latin1');

export function jwsDigest(jws: string): string {
  return createHash('sha256').update(jws).digest('hex');
}

export function newChainId(): string {
  return randomBytes(16).toString('hex');
}

/** The payload of a checkpoint JWS, read without verifying its signature; undefined when unreadable. */
export function checkpointPayloadOf(jws: string): CheckpointPayload | undefined {
  try {
    const payload = JSON.parse(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8')) as unknown;
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? (payload as CheckpointPayload) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes the chain. Every method takes the state to continue from and returns the state after its
 * bytes, without changing `state`: the caller commits the new state once the bytes are on disk, so a
 * failed write changes nothing.
 *
 * A genuine writer never leaves more than `every` records unsigned: a batch that would is cut by
 * checkpoints inside it. A verifier relies on that bound (docs/tamper-evidence.md).
 */
export class ChainWriter {
  readonly #key: SigningKey;
  readonly #publicKey: KeyObject;
  readonly settings: ChainSettings;
  state: ChainState | undefined;

  constructor(key: SigningKey, settings: Omit<ChainSettings, 'node'> & { node?: string | undefined }) {
    this.#key = key;
    this.#publicKey = createPublicKey(key.key);
    this.settings = { ...settings, node: settings.node ?? hostname() };
  }

  /**
   * The payload of a checkpoint this writer's key signed; undefined when the signature does not
   * verify or another key made it. A writer picking up a file trusts only its own signatures.
   */
  async ownCheckpoint(jws: string): Promise<CheckpointPayload | undefined> {
    try {
      const { payload, protectedHeader } = await compactVerify(jws, this.#publicKey, { algorithms: [this.#key.alg] });
      if (protectedHeader.kid !== this.#key.kid || protectedHeader.typ !== JWS_TYPE) return undefined;
      return JSON.parse(new TextDecoder().decode(payload)) as CheckpointPayload;
    } catch {
      return undefined;
    }
  }

  get node(): string {
    return this.settings.node;
  }

  get kid(): string {
    return this.#key.kid;
  }

  /**
   * Lines for `bodies` (canonical record JSON) continuing the chain, as the bytes to append, and the
   * state after them. No checkpoints: see `sealSigned`.
   *
   * Each record is UTF-8-encoded once, straight into a scratch buffer that already holds the hash's
   * domain prefix; the hash is taken there and the line copied out: no intermediate strings.
   */
  seal(bodies: readonly string[], from: ChainState = this.state!): { bytes: Buffer; next: ChainState } {
    const state = from;
    let { seq, hash: prev } = state;
    let size = 0;
    const lengths = new Array<number>(bodies.length);
    for (let i = 0; i < bodies.length; i++) {
      lengths[i] = Buffer.byteLength(bodies[i]!);
      size += HEADER_MAX + lengths[i]! + TAIL_BYTES + 1;
    }
    const out = Buffer.allocUnsafe(size);
    let at = 0;
    for (let i = 0; i < bodies.length; i++) {
      seq++;
      const need = DOMAIN_BYTES + HEADER_MAX + lengths[i]!;
      if (scratch.length < need) {
        scratch = Buffer.allocUnsafe(need * 2);
        scratch.write(HASH_PREFIX, 0, 'latin1');
      }
      let n = DOMAIN_BYTES;
      n += scratch.write(`{"chain":"${state.chain}","seq":${seq},"prev_hash":"${prev}",`, n, 'latin1');
      // The record's fields without its braces: the header opens the object, the hash closes it.
      n += scratch.write(bodies[i]!.slice(1), n, 'utf8') - 1;
      const h = hash('sha256', scratch.subarray(0, n), 'hex');
      at += scratch.copy(out, at, DOMAIN_BYTES, n);
      at += out.write(',"hash":"' + h + '"}\n', at, 'latin1');
      prev = h;
    }
    const unsigned = state.unsigned + bodies.length;
    return {
      bytes: out.subarray(0, at),
      next: { ...state, seq, hash: prev, unsigned, unsignedSince: state.unsigned === 0 ? Date.now() : state.unsignedSince },
    };
  }

  /**
   * `bodies` continuing the chain, with a `count` checkpoint wherever `every` records would otherwise
   * go unsigned, even in the middle of the batch: a large batch (a replayed backlog) never leaves a
   * longer run than a verifier accepts.
   */
  async sealSigned(bodies: readonly string[], from: ChainState = this.state!): Promise<Sealed> {
    const parts: Buffer[] = [];
    const checkpoints: WrittenCheckpoint[] = [];
    let state = from;
    for (let i = 0; i < bodies.length; ) {
      const take = Math.max(1, Math.min(bodies.length - i, this.settings.every - state.unsigned));
      const sealed = this.seal(i === 0 && take === bodies.length ? bodies : bodies.slice(i, i + take), state);
      parts.push(sealed.bytes);
      state = sealed.next;
      i += take;
      if (state.unsigned >= this.settings.every) {
        const cp = await this.checkpoint('count', {}, state);
        parts.push(cp.bytes);
        checkpoints.push(...cp.checkpoints);
        state = cp.next;
      }
    }
    return { bytes: parts.length === 1 ? parts[0]! : Buffer.concat(parts), next: state, checkpoints };
  }

  /**
   * A new chain: its start record and, in the same bytes, the checkpoint that signs it, so the limits
   * it declares (and, after a break, what it says about the chain before) are signed from the start.
   */
  async open(link: { chain: string; seq: number; hash: string } | null, reason: string, broken?: ChainBreak): Promise<Sealed> {
    const fresh: ChainState = { chain: newChainId(), seq: 0, hash: link?.hash ?? GENESIS, checkpoint: null, unsigned: 0, unsignedSince: 0 };
    const start = this.seal([this.startRecord(link, reason, broken)], fresh);
    const cp = await this.checkpoint('start', {}, start.next);
    return { bytes: Buffer.concat([start.bytes, cp.bytes]), next: cp.next, checkpoints: cp.checkpoints };
  }

  /** The record that opens a chain: with `link`, it names the head of the chain it continues. */
  startRecord(link: { chain: string; seq: number; hash: string } | null, reason: string, broken?: ChainBreak): string {
    const time = nowMicros();
    return canonicalJson({
      ...(broken ? { break: broken } : {}),
      checkpoint_every: this.settings.every,
      checkpoint_interval_ms: this.settings.intervalMs,
      event: CHAIN_START_EVENT,
      id: uuidv7(Math.floor(time / 1000)),
      kid: this.#key.kid,
      level: broken ? 'warn' : 'info',
      link,
      node: this.node,
      reason,
      time,
      ts: utc.format(time),
    });
  }

  /** A signed checkpoint covering everything up to the head of `from`, sealed as the chain's next line. */
  async checkpoint(reason: CheckpointReason, extra: { final?: boolean; file?: string } = {}, from: ChainState = this.state!): Promise<Sealed> {
    const state = from;
    const time = nowMicros();
    const payload: CheckpointPayload = {
      v: 1,
      chain: state.chain,
      first_seq: (state.checkpoint?.seq ?? 0) + 1,
      last_seq: state.seq,
      head_hash: state.hash,
      prev_checkpoint: state.checkpoint?.digest ?? null,
      reason,
      time,
      checkpoint_every: this.settings.every,
      checkpoint_interval_ms: this.settings.intervalMs,
      node: this.node,
      path: this.settings.path,
      ...(extra.final ? { final: true as const } : {}),
      ...(extra.file ? { file: extra.file } : {}),
    };
    const jws = await new CompactSign(new TextEncoder().encode(canonicalJson(payload)))
      .setProtectedHeader({ alg: this.#key.alg, kid: this.#key.kid, typ: JWS_TYPE })
      .sign(this.#key.key);
    const body = canonicalJson({
      checkpoint: jws,
      event: CHECKPOINT_EVENT,
      id: uuidv7(Math.floor(time / 1000)),
      level: 'info',
      node: this.node,
      time,
      ts: utc.format(time),
    });
    const sealed = this.seal([body], state);
    const next: ChainState = { ...sealed.next, checkpoint: { seq: sealed.next.seq, digest: jwsDigest(jws) }, unsigned: 0, unsignedSince: 0 };
    const line = sealed.bytes.toString('utf8', 0, sealed.bytes.length - 1);
    return { bytes: sealed.bytes, next, checkpoints: [{ jws, line, chain: next.chain, seq: next.seq, reason, final: extra.final === true }] };
  }
}
