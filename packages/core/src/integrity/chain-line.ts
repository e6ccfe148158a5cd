import { hash } from 'node:crypto';
import { HASH_PREFIX } from './chain.js';

/**
 * Reading chained lines straight from disk bytes, for the verifier and for a writer picking up its
 * chain after a restart: the fixed header is parsed by position, and the hash is recomputed over the
 * record's bytes as they are, with no JSON parse and no re-serialisation.
 */

export interface LineHeader {
  chain: string;
  seq: number;
  prevHash: string;
  hash: string;
  /** Offset of the record's first key in the line. */
  bodyStart: number;
  /** Offset of `,"hash":"`: the hash covers the line's bytes before it. */
  hashAt: number;
}

/** `,"hash":"` + 64 hex digits + `"}`. */
const TAIL_BYTES = 75;
const OPEN = Buffer.from('{"chain":"');
const SEQ = Buffer.from('","seq":');
const PREV = Buffer.from(',"prev_hash":"');
const HASH = Buffer.from(',"hash":"');
const CHECKPOINT = '"checkpoint":"';
/** A chain start's first keys, in canonical order: `break` (after a break), else `checkpoint_every`. */
const CHAIN_START = ['"checkpoint_every":', '"break":{"chain":'];
const DOMAIN = Buffer.from(HASH_PREFIX);

/** Byte-by-byte comparison in JavaScript: cheaper than a native call for a handful of bytes. */
function matches(data: Buffer, at: number, expected: Buffer): boolean {
  if (at + expected.length > data.length) return false;
  for (let i = 0; i < expected.length; i++) if (data[at + i] !== expected[i]) return false;
  return true;
}

/**
 * The header and hash of the line `data[start, end)`, parsed by position from the bytes: a verifier
 * reads hundreds of thousands of lines a second, so no JSON parse, and no more strings than the
 * values themselves.
 */
export function parseHeader(data: Buffer, start = 0, end = data.length, lastChain?: string): LineHeader | undefined {
  const hashAt = end - TAIL_BYTES;
  if (hashAt - start < 150 || !matches(data, start, OPEN) || !matches(data, hashAt, HASH)) return undefined;
  if (data[end - 2] !== 0x22 || data[end - 1] !== 0x7d) return undefined;
  let i = start + OPEN.length;
  const chainStart = i;
  while (i < hashAt && i - chainStart <= 64 && data[i] !== 0x22) i++;
  if (i === chainStart || i - chainStart > 64 || !matches(data, i, SEQ)) return undefined;
  // Consecutive lines nearly always share their chain: reuse the caller's string instead of making one.
  const chain = lastChain !== undefined && sameText(data, chainStart, i, lastChain) ? lastChain : data.toString('latin1', chainStart, i);
  i += SEQ.length;
  let seq = 0;
  const digits = i;
  while (data[i]! >= 0x30 && data[i]! <= 0x39 && i - digits < 15) seq = seq * 10 + (data[i++]! - 0x30);
  if (i === digits || !matches(data, i, PREV)) return undefined;
  i += PREV.length;
  // The hashes are not checked for being hex: a garbled one can never equal a computed hash or link.
  if (data[i + 64] !== 0x22 || data[i + 65] !== 0x2c) return undefined;
  return {
    chain,
    seq,
    prevHash: data.toString('latin1', i, i + 64),
    hash: data.toString('latin1', hashAt + HASH.length, hashAt + HASH.length + 64),
    bodyStart: i + 66,
    hashAt,
  };
}

let scratch = Buffer.allocUnsafe(64 * 1024);

/** Recomputes the link hash from the bytes on disk: one SHA-256 over the domain prefix and the line's bytes. */
export function computeLineHash(data: Buffer, header: LineHeader, start = 0): string {
  const length = DOMAIN.length + header.hashAt - start;
  if (length > scratch.length) scratch = Buffer.allocUnsafe(length * 2);
  DOMAIN.copy(scratch, 0);
  data.copy(scratch, DOMAIN.length, start, header.hashAt);
  return hash('sha256', scratch.subarray(0, length), 'hex');
}

function sameText(data: Buffer, start: number, end: number, text: string): boolean {
  if (end - start !== text.length) return false;
  for (let i = 0; i < text.length; i++) if (data[start + i] !== text.charCodeAt(i)) return false;
  return true;
}

function startsAt(data: Buffer, offset: number, text: string): boolean {
  for (let i = 0; i < text.length; i++) if (data[offset + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** A checkpoint record's canonical form starts with its `checkpoint` key (the first in sorted order). */
export function isCheckpointLine(data: Buffer, header: LineHeader): boolean {
  // A request record's first key is "aborted"; only look further when the first letter could match.
  return data[header.bodyStart + 1] === 0x63 && startsAt(data, header.bodyStart, CHECKPOINT);
}

export function isChainStartLine(data: Buffer, header: LineHeader): boolean {
  const c = data[header.bodyStart + 1];
  return (c === 0x63 || c === 0x62) && CHAIN_START.some((prefix) => startsAt(data, header.bodyStart, prefix));
}

/** Splits a buffer into lines (without the newline); `partial` is the bytes after the last newline. */
export function splitLines(data: Buffer): { lines: Buffer[]; partial: Buffer | undefined } {
  const lines: Buffer[] = [];
  let start = 0;
  for (let nl = data.indexOf(0x0a); nl !== -1; nl = data.indexOf(0x0a, start)) {
    lines.push(data.subarray(start, nl));
    start = nl + 1;
  }
  return { lines, partial: start < data.length ? data.subarray(start) : undefined };
}

/** The payload of a checkpoint JWS, read without verifying it (the writer trusts its own file). */
export function peekCheckpoint(line: Buffer): { jws: string; payload: Record<string, unknown> } | undefined {
  try {
    const jws = (JSON.parse(line.toString('utf8')) as { checkpoint?: unknown }).checkpoint;
    if (typeof jws !== 'string') return undefined;
    const payload = JSON.parse(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    return { jws, payload };
  } catch {
    return undefined;
  }
}
