import { createHash, hash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { CompactSign } from 'jose';
import { canonicalJson } from './canonical.js';
import { nowMicros, Rfc3339Formatter } from './clock.js';
import { uuidv7 } from './ids.js';
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

export interface CheckpointPayload {
  v: 1;
  chain: string;
  first_seq: number;
  last_seq: number;
  head_hash: string;
  prev_checkpoint: string | null;
  reason: 'count' | 'interval' | 'rotation' | 'close' | 'restart';
  time: number;
  final?: true;
  file?: string;
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

export class ChainWriter {
  readonly #key: SigningKey;
  readonly node: string;
  state: ChainState | undefined;

  constructor(key: SigningKey, node = hostname()) {
    this.#key = key;
    this.node = node;
  }

  get kid(): string {
    return this.#key.kid;
  }

  /**
   * Lines for `bodies` (canonical record JSON) continuing the chain, as the bytes to append, and the
   * state after them. The caller commits the state only once the bytes are written, so a failed write
   * changes nothing.
   *
   * Each record is UTF-8-encoded once, straight into a scratch buffer that already holds the hash's
   * domain prefix; the hash is taken there and the line copied out: no intermediate strings.
   */
  seal(bodies: readonly string[]): { bytes: Buffer; next: ChainState } {
    const state = this.state!;
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

  /** The record that opens a chain: with `link`, it names the head of the chain it continues. */
  startRecord(link: { chain: string; seq: number; hash: string } | null, reason: string): string {
    const time = nowMicros();
    return canonicalJson({
      event: CHAIN_START_EVENT,
      id: uuidv7(Math.floor(time / 1000)),
      kid: this.#key.kid,
      level: 'info',
      link,
      node: this.node,
      reason,
      time,
      ts: utc.format(time),
    });
  }

  /** A signed checkpoint record covering everything up to the current head (not yet sealed). */
  async checkpointRecord(reason: CheckpointPayload['reason'], extra: { final?: boolean; file?: string } = {}): Promise<{ body: string; jws: string }> {
    const state = this.state!;
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
    return { body, jws };
  }

  /** After a checkpoint line is written (its seq is the current head). */
  checkpointed(jws: string): void {
    const state = this.state!;
    this.state = { ...state, checkpoint: { seq: state.seq, digest: jwsDigest(jws) }, unsigned: 0, unsignedSince: 0 };
  }
}
