import pg from 'pg';
import { failOption, integerAt, isPlainObject, onlyKeys, stringAt } from '@auditkit/core';
import { resolveRetention, type RetentionOptions, type RetentionPolicy } from '@auditkit/store';

export interface PostgresStoreOptions extends RetentionOptions {
  /** `postgres://user@host:5432/db`. Or give `pool`. */
  connectionString?: string;
  /** A pg.Pool of your own (the store does not end it on close). */
  pool?: pg.Pool;
  /** Schema holding the store's tables, created when missing. Default `auditkit`. */
  schema?: string;
  /** The redaction mask (`redact.mask`), so masked values stay out of free text. Default `******`. */
  mask?: string;
  /** Connections in the pool the store makes. Default 8. */
  poolSize?: number;
  /** Days of partitions kept ready ahead of today. Default 7. */
  partitionsAhead?: number;
  /** The live feed holds back rows stored in the last this-many ms, so a slower writer's transaction cannot commit behind it. Default 2000. */
  liveLagMs?: number;
  /** How often upkeep (partitions, retention) runs, in ms; one instance of the fleet does it at a time. Default 60000. */
  retentionIntervalMs?: number;
  /** Rows deleted per statement when trimming to maxRecords. Default 5000. */
  retentionChunk?: number;
  /** Batches one process may be committing at once. Default 4. */
  parallelBatches?: number;
  /** How long connecting may take before it fails (a server that accepts and never answers). Default 10000 ms. */
  connectTimeoutMs?: number;
}

export interface ResolvedPostgresOptions {
  pool: pg.Pool;
  ownPool: boolean;
  /** For the sink's name: never the password. */
  where: string;
  schema: string;
  mask: string;
  partitionsAhead: number;
  liveLagMs: number;
  retentionChunk: number;
  parallelBatches: number;
  retention: RetentionPolicy;
}

const KEYS = ['connectionString', 'pool', 'schema', 'mask', 'poolSize', 'partitionsAhead', 'liveLagMs', 'retentionIntervalMs', 'retentionChunk', 'parallelBatches', 'connectTimeoutMs', 'maxRecords', 'maxAgeDays'];

export function resolvePostgresOptions(raw: unknown): ResolvedPostgresOptions {
  if (!isPlainObject(raw)) failOption('store', 'must be an options object', "pass openPostgresStore({ connectionString: 'postgres://…' })");
  onlyKeys(raw, KEYS, '');
  const schema = stringAt(raw.schema, 'schema', 'auditkit', 'auditkit');
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) failOption('schema', `must be a lower-case SQL identifier, got ${JSON.stringify(schema)}`, 'use letters, digits and underscores, e.g. "auditkit"');
  const parallelBatches = integerAt(raw.parallelBatches, 'parallelBatches', 4, 1, 64);
  const poolSize = integerAt(raw.poolSize, 'poolSize', 8, 2, 1000);
  let pool: pg.Pool;
  let ownPool: boolean;
  let where: string;
  if (raw.pool !== undefined) {
    if (raw.connectionString !== undefined) failOption('connectionString', 'cannot be given together with pool', 'pass one of them');
    if (!(raw.pool instanceof pg.Pool)) failOption('pool', 'must be a pg.Pool', 'pass new pg.Pool({ ... }) or a connectionString');
    pool = raw.pool;
    ownPool = false;
    const o = (pool as unknown as { options: pg.PoolConfig }).options;
    where = describeTarget(o.connectionString, o.host, o.port, o.database);
  } else {
    const connectionString = stringAt(raw.connectionString, 'connectionString', '', 'postgres://audit@db:5432/audit');
    if (connectionString === '') failOption('connectionString', 'is required (or give pool)', "pass connectionString: 'postgres://user@host:5432/database'");
    const connectTimeoutMs = integerAt(raw.connectTimeoutMs, 'connectTimeoutMs', 10_000, 100, 600_000);
    pool = new pg.Pool({ connectionString, max: poolSize, connectionTimeoutMillis: connectTimeoutMs, application_name: 'auditkit' });
    ownPool = true;
    where = describeTarget(connectionString, undefined, undefined, undefined);
  }
  return {
    pool,
    ownPool,
    where: `${where}/${schema}`,
    schema,
    mask: stringAt(raw.mask, 'mask', '******', '******'),
    partitionsAhead: integerAt(raw.partitionsAhead, 'partitionsAhead', 7, 1, 365),
    liveLagMs: integerAt(raw.liveLagMs, 'liveLagMs', 2000, 0, 600_000),
    retentionChunk: integerAt(raw.retentionChunk, 'retentionChunk', 5000, 1, 1_000_000),
    parallelBatches,
    retention: resolveRetention(raw.maxRecords, raw.maxAgeDays, raw.retentionIntervalMs),
  };
}

/** host:port/database, without user or password. */
function describeTarget(connectionString: string | undefined, host: string | undefined, port: number | undefined, database: string | undefined): string {
  if (connectionString) {
    try {
      const u = new URL(connectionString);
      return `${u.hostname || 'localhost'}:${u.port || 5432}${u.pathname || '/'}`.replace(/\/$/, '');
    } catch {
      return 'postgres';
    }
  }
  return `${host ?? 'localhost'}:${port ?? 5432}/${database ?? ''}`;
}
