import { resolve } from 'node:path';
import { signingKeyProblem, type PrivateKeySource } from '../integrity/signing-key.js';
import { nextRotation, type RotationPeriod, type RotationZone } from './rotation-time.js';
import { booleanAt, describe, fail, integerAt, isPlainObject, onlyKeys, stringAt } from '../shared/validate.js';

/**
 * The file sink's options (`file`, `new AuditFileTransport(options)`), checked once when the sink is
 * built; `settingsFrom` turns them into the frozen settings the transport runs on.
 */

export interface AuditFileOptions {
  /** Default `./log/audit.log`, relative to the working directory. */
  path?: string;
  /** Mode for new files. Default 0o600. */
  mode?: number;
  /** Rotate before a batch would take the file past this size: bytes, or `50MB`, `512KiB`. Default 50 MiB (EMQX). 0: never. */
  maxSize?: number | string;
  /** Also rotate at every hour or day boundary (Mattermost's backup interval), between batches. Default: by size only. */
  rotateEvery?: RotationPeriod;
  /** Whether `rotateEvery` boundaries follow the machine's local clock (default) or UTC. */
  rotateTimeZone?: RotationZone;
  /** Rotated files kept (the oldest go first). Default 10 (EMQX's rotation_count). 0: keep all. */
  maxFiles?: number;
  /** Rotated files older than this many days are deleted. Default 0: no age limit. */
  maxAgeDays?: number;
  /** gzip rotated files. Default false. */
  compress?: boolean;
  /** fdatasync every batch before it counts as written. Default false. */
  durable?: boolean;
  /** Reopen the file on SIGHUP (logrotate's postrotate). Adds a SIGHUP listener, so it is opt-in. Default false. */
  reopenOnSighup?: boolean;
  /** Make the file tamper-evident: a hash chain through every record, with signed checkpoints. */
  chain?: ChainOptions;
}

export interface ChainOptions {
  /** The checkpoint signing key: a KeyObject, PEM or JWK text, `{ file }` or `{ env }`. Ed25519 or P-256. */
  key: PrivateKeySource;
  /** Sign a checkpoint after this many records. Default 1000. */
  checkpointEvery?: number;
  /** ...or once records have waited this long unsigned. Default 10000 ms. */
  checkpointIntervalMs?: number;
  /** `node` of checkpoint records. Default: the host name. */
  node?: string;
}

export const DEFAULT_AUDIT_FILE = './log/audit.log';
const SIZE = /^(\d+)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?$/i;
const UNITS: Record<string, number> = { b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

export function parseSize(value: number | string, option: string): number {
  if (typeof value === 'number') return integerAt(value, option, 0, 0, Number.MAX_SAFE_INTEGER);
  const m = SIZE.exec(value.trim());
  if (!m) fail(option, `is not a size: ${describe(value)}`, 'use bytes or a string such as "50MB" or "512KiB"');
  return Number(m[1]) * UNITS[(m[2] ?? 'b').toLowerCase()]!;
}

export interface ResolvedChain {
  key: PrivateKeySource;
  every: number;
  intervalMs: number;
  node: string | undefined;
}

/**
 * For auditkit's own tests only, and deliberately not in AuditFileOptions: replaces the boundary
 * function of `rotateEvery`, so a real rotation can be seen a second away rather than an hour.
 */
const ROTATION_BOUNDARY = Symbol.for('auditkit.internal.rotationBoundary');

export interface FileSinkSettings {
  chain: ResolvedChain | undefined;
  /** The next rotation boundary after a moment (ms); `undefined` without `rotateEvery`. */
  rotateAt: ((now: number) => number) | undefined;
  rotateEvery: RotationPeriod | undefined;
  rotateTimeZone: RotationZone;
  path: string;
  mode: number;
  maxSize: number;
  maxFiles: number;
  maxAgeDays: number;
  compress: boolean;
  durable: boolean;
  reopenOnSighup: boolean;
}

export function settingsFrom(options: AuditFileOptions, prefix: string): FileSinkSettings {
  const o = options as Record<string, unknown>;
  const at = (k: string): string => (prefix ? `${prefix}.${k}` : k);
  if (!isPlainObject(o)) fail(prefix || 'AuditFileTransport', `must be an object, got ${describe(o)}`, 'pass { path, maxSize, maxFiles }');
  onlyKeys(o, ['path', 'mode', 'maxSize', 'rotateEvery', 'rotateTimeZone', 'maxFiles', 'maxAgeDays', 'compress', 'durable', 'reopenOnSighup', 'chain'], prefix);
  const every = o.rotateEvery;
  if (every !== undefined && every !== 'hour' && every !== 'day') fail(at('rotateEvery'), `must be "hour" or "day", got ${describe(every)}`, 'use "hour" or "day", or leave it out to rotate by size only');
  const zone = o.rotateTimeZone ?? 'local';
  if (zone !== 'local' && zone !== 'utc') fail(at('rotateTimeZone'), `must be "local" or "utc", got ${describe(zone)}`, 'use "local" (the machine\'s clock, DST included) or "utc"');
  if (o.rotateTimeZone !== undefined && every === undefined) fail(at('rotateTimeZone'), 'has no effect without rotateEvery', 'add rotateEvery: "hour" or "day", or remove rotateTimeZone');
  const seam = (options as Record<symbol, unknown>)[ROTATION_BOUNDARY];
  const rotateAt =
    every === undefined ? undefined : typeof seam === 'function' ? (seam as (now: number) => number) : (now: number) => nextRotation(now, every as RotationPeriod, zone as RotationZone);
  return {
    chain: resolveChain(o.chain, at('chain')),
    rotateAt,
    rotateEvery: every as RotationPeriod | undefined,
    rotateTimeZone: zone as RotationZone,
    path: resolve(stringAt(o.path, at('path'), DEFAULT_AUDIT_FILE, './log/audit.log')),
    mode: integerAt(o.mode, at('mode'), 0o600, 0, 0o777),
    maxSize: o.maxSize === undefined ? 50 * 1024 * 1024 : parseSize(o.maxSize as number | string, at('maxSize')),
    maxFiles: integerAt(o.maxFiles, at('maxFiles'), 10, 0, 100_000),
    maxAgeDays: integerAt(o.maxAgeDays, at('maxAgeDays'), 0, 0, 36_500),
    compress: booleanAt(o.compress, at('compress'), false),
    durable: booleanAt(o.durable, at('durable'), false),
    reopenOnSighup: booleanAt(o.reopenOnSighup, at('reopenOnSighup'), false),
  };
}

function resolveChain(value: unknown, option: string): ResolvedChain | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) fail(option, `must be an object, got ${describe(value)}`, "use { key: { file: './audit-signing.key' } }");
  onlyKeys(value, ['key', 'checkpointEvery', 'checkpointIntervalMs', 'node'], option);
  if (value.key === undefined) fail(`${option}.key`, 'is required', 'create a key pair with `auditkit keygen` and pass { file: <private key> }');
  const keyProblem = signingKeyProblem(value.key as PrivateKeySource);
  if (keyProblem) fail(`${option}.key`, keyProblem.problem, keyProblem.fix);
  return {
    key: value.key as PrivateKeySource,
    every: integerAt(value.checkpointEvery, `${option}.checkpointEvery`, 1000, 1, 10_000_000),
    intervalMs: integerAt(value.checkpointIntervalMs, `${option}.checkpointIntervalMs`, 10_000, 10, 86_400_000),
    node: value.node === undefined ? undefined : stringAt(value.node, `${option}.node`, '', 'api-1'),
  };
}
