import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson } from '@auditkit/core';
import { randomBytes } from 'node:crypto';
import { openSqliteStore, type AuditStore, type SqliteStore } from '@auditkit/store';
import { openPostgresStore } from '@auditkit/store-postgres';
import pg from 'pg';

/**
 * Records for the tests, written the way the core writes them (canonical JSON lines of the full
 * request shape), with the fields a test cares about set exactly, so expected answers can be written
 * out by hand.
 */

export interface Seed {
  n: number;
  time: number;
  source?: string | null;
  node?: string;
  from?: string;
  source_ip?: string;
  operation_id?: string;
  operation_type?: string;
  operation_result?: 'success' | 'failure';
  http_method?: string;
  http_status_code?: number;
  duration_ms?: number;
  request_id?: string;
  event?: string;
  target?: { type?: string; id?: string; name?: string } | null;
  body?: unknown;
  meta?: Record<string, unknown>;
}

/** A UUIDv7-shaped id whose order follows `n` (ids are compared as strings). */
export function seedId(n: number): string {
  const hex = n.toString(16).padStart(12, '0');
  return `01900000-0000-7000-8000-${hex}`;
}

export function seedLine(s: Seed): string {
  const status = s.http_status_code ?? 200;
  const result = s.operation_result ?? (status >= 400 ? 'failure' : 'success');
  const method = s.http_method ?? 'post';
  return canonicalJson({
    aborted: false,
    auth_error: null,
    auth_type: 'none',
    bindings: {},
    duration_ms: s.duration_ms ?? 5,
    event: s.event ?? 'request',
    from: s.from ?? 'rest_api',
    http_method: method,
    http_request: { body: s.body ?? null, body_bytes: null, body_recorded: s.body === undefined ? 'none' : 'full', body_type: s.body === undefined ? null : 'application/json', headers: {}, method: method.toUpperCase() },
    http_status_code: status,
    id: seedId(s.n),
    level: result === 'success' ? 'info' : 'warn',
    meta: s.meta ?? {},
    node: s.node ?? 'node-a',
    operation_id: s.operation_id ?? '/users/:id',
    operation_result: result,
    operation_type: s.operation_type ?? 'users',
    query_string: {},
    request_id: s.request_id ?? `req-${s.n}`,
    source: s.source === undefined ? 'alice' : s.source,
    source_ip: s.source_ip ?? '10.0.0.1',
    source_verified: true,
    target: s.target === undefined ? null : s.target,
    time: s.time,
    truncated: false,
    ts: new Date(Math.floor(s.time / 1000)).toISOString().replace('Z', '') + String(s.time % 1000).padStart(3, '0') + 'Z',
    user_agent: null,
  });
}

export type Backend = 'sqlite' | 'postgres';
export const BACKENDS: readonly Backend[] = ['sqlite', 'postgres'];

/** The PostgreSQL the tests use (127.0.0.1:5432, trust auth), each store in a schema of its own, dropped after. */
export const PG_URL = process.env.AUDITKIT_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestStore {
  store: AuditStore;
  /** Writes lines straight into the store, committed when this resolves. */
  write(lines: string[]): Promise<void>;
  close(): Promise<void>;
}

export async function openTestStore(backend: Backend): Promise<TestStore> {
  if (backend === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'auditkit-api-'));
    // Seeded records carry fixed 2024 times: no age limit, or retention would remove them.
    const store = await openSqliteStore({ path: join(dir, 'audit.db'), maxAgeDays: null });
    return sqliteTestStore(store, dir);
  }
  const schema = `akapi_${randomBytes(6).toString('hex')}`;
  // No live lag: the tests write and then read at once, from one process.
  const store = await openPostgresStore({ connectionString: PG_URL, schema, maxAgeDays: null, liveLagMs: 0 });
  return {
    store,
    write: async (lines) => void (await store.write(lines)),
    close: async () => {
      await store.close();
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** A SQLite store for a test, whose close() removes its directory too. */
export function sqliteTestStore(store: SqliteStore, dir: string): TestStore {
  return {
    store,
    write: async (lines) => void (await store.write(lines)),
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'auditkit-api-'));
}

/** The records of one event the store holds, newest first, parsed. */
export async function eventsIn(store: AuditStore, event: string): Promise<Array<Record<string, unknown>>> {
  const page = await store.query([{ match: { event: { values: [event], negate: false } } }], { limit: 1000, direction: 'older' });
  return page.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}
