import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { calculateJwkThumbprint, CompactSign, exportJWK } from 'jose';
import { AuditEntry, canonicalJson, linkHash } from '@auditkit/core';
import { formatMessage } from '@auditkit/syslog';

/**
 * What an attacker with write access to the log directory can do, done for real to copies of a log
 * written through the middleware: edit bytes, delete and move lines and files, forge records with
 * correct hashes, re-sign checkpoints with their own key, and rewrite the whole chain after a change.
 */

export type Line = Record<string, unknown> & { chain: string; seq: number; prev_hash: string; hash: string };

export function copyLog(from: string, to: string): string {
  cpSync(from, to, { recursive: true });
  return to;
}

/** The log's files in trail order: rotated files by their stamp, the live file last. */
export function logFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith('audit'))
    .sort((a, b) => (a === 'audit.log' ? 1 : b === 'audit.log' ? -1 : a < b ? -1 : 1))
    .map((f) => join(dir, f));
}

export function readLines(file: string): string[] {
  const raw = readFileSync(file);
  const text = (file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  return text.length === 0 ? [] : text.replace(/\n$/, '').split('\n');
}

export function writeLines(file: string, lines: string[]): void {
  const text = lines.length === 0 ? '' : lines.join('\n') + '\n';
  writeFileSync(file, file.endsWith('.gz') ? gzipSync(text) : text);
}

export function editLines(file: string, edit: (lines: string[]) => string[]): void {
  writeLines(file, edit(readLines(file)));
}

export function serialize(line: Line): string {
  const { chain, seq, prev_hash, hash, ...record } = line;
  return `{"chain":"${chain}","seq":${seq},"prev_hash":"${prev_hash}",${canonicalJson(record).slice(1, -1)},"hash":"${hash}"}`;
}

/** The line with a hash that is correct for its content and the given predecessor. */
export function relink(line: Line, prevHash: string): Line {
  const { chain, seq, hash: _hash, prev_hash: _prev, ...record } = line;
  void _hash;
  void _prev;
  return { ...line, prev_hash: prevHash, hash: linkHash(chain, seq, prevHash, canonicalJson(record)) };
}

/**
 * Rewrites the whole trail consistently after `mutate` changed it: every hash recomputed in order, and,
 * with `key`, every checkpoint re-signed over the new hashes, so only the signing key gives it away.
 */
export async function forgeChain(
  dir: string,
  options: { mutate?: (lines: Line[]) => void; key?: KeyObject; resign?: (line: Line, index: number) => boolean },
): Promise<void> {
  const files = logFiles(dir);
  const perFile = files.map((f) => readLines(f).map((l) => JSON.parse(l) as Line));
  const all = perFile.flat();
  options.mutate?.(all);
  let kid: string | undefined;
  if (options.key) kid = await calculateJwkThumbprint(await exportJWK(createPublicKey(options.key)));
  let prev = all[0]!.prev_hash;
  let lastJws: string | null = null;
  for (let i = 0; i < all.length; i++) {
    let line = all[i]!;
    if (options.key && typeof line.checkpoint === 'string' && (options.resign?.(line, i) ?? true)) {
      const payload = JSON.parse(Buffer.from(line.checkpoint.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      payload.head_hash = prev;
      payload.prev_checkpoint = lastJws === null ? null : createHash('sha256').update(lastJws).digest('hex');
      line = {
        ...line,
        checkpoint: await new CompactSign(new TextEncoder().encode(canonicalJson(payload))).setProtectedHeader({ alg: 'EdDSA', kid, typ: 'auditkit-checkpoint' }).sign(options.key),
      };
    }
    if (typeof line.checkpoint === 'string') lastJws = line.checkpoint;
    line = relink(line, prev);
    all[i] = line;
    prev = line.hash;
  }
  let at = 0;
  for (const [i, file] of files.entries()) {
    const count = perFile[i]!.length;
    writeLines(file, all.slice(at, at + count).map(serialize));
    at += count;
  }
}

const isCheckpoint = (line: Line): boolean => line.event === 'audit.checkpoint';

/**
 * The attack of issue 9, which needs no key: delete checkpoint lines (in the files `where` picks, all
 * by default), let `mutate` change what it likes, then renumber each chain gaplessly and recompute
 * every link with the documented formula. Each file keeps its remaining lines, so rotated files stay
 * where they were.
 */
export function stripAndRelink(dir: string, options: { where?: (file: string) => boolean; drop?: (line: Line) => boolean; mutate?: (lines: Line[]) => void } = {}): void {
  const files = logFiles(dir);
  const drop = options.drop ?? isCheckpoint;
  const perFile = files.map((f) => {
    const lines = readLines(f).map((l) => JSON.parse(l) as Line);
    return options.where === undefined || options.where(f) ? lines.filter((l) => !drop(l)) : lines;
  });
  const all = perFile.flat();
  options.mutate?.(all);
  const heads = new Map<string, { seq: number; hash: string }>();
  for (let i = 0; i < all.length; i++) {
    const line = all[i]!;
    const head = heads.get(line.chain);
    // The first line of a chain keeps its place; every later one follows the line before it.
    const relinked = head ? relink({ ...line, seq: head.seq + 1 }, head.hash) : relink(line, line.prev_hash);
    all[i] = relinked;
    heads.set(line.chain, { seq: relinked.seq, hash: relinked.hash });
  }
  let at = 0;
  for (const [i, file] of files.entries()) {
    const count = perFile[i]!.length;
    writeLines(file, all.slice(at, at + count).map(serialize));
    at += count;
  }
}

/**
 * The external copy: each shipped checkpoint as the RFC 5424 message the syslog sink sends for it,
 * one per line, as rsyslog stores them.
 */
export function writeAnchors(file: string, shipped: readonly string[]): string {
  const text = shipped
    .map((line) => {
      const entry = AuditEntry.fromLine(line);
      return formatMessage(entry.head, entry.line, { facility: 4, appName: 'billing-api', procId: '4242', hostname: 'api-1', sdId: 'auditkit@32473' });
    })
    .join('\n');
  writeFileSync(file, text + '\n');
  return file;
}

/** The checkpoint payloads in a log's files, in order. */
export function checkpointsIn(dir: string): Array<Record<string, unknown> & { chain: string; reason: string; last_seq: number }> {
  return logFiles(dir)
    .flatMap((f) => readLines(f).map((l) => JSON.parse(l) as Line))
    .filter(isCheckpoint)
    .map((l) => JSON.parse(Buffer.from(String(l.checkpoint).split('.')[1]!, 'base64url').toString()));
}
