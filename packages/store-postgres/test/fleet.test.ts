import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { tempDir, waitFor } from '../../store/test/helpers.js';
import { dropSchema, freshSchemaName, PG_URL, sql } from './pg-helpers.js';

/**
 * A fleet on one real PostgreSQL: app processes writing concurrently, any of them reading all; and
 * one killed with SIGKILL in the middle of a batch.
 */

const APP = fileURLToPath(new URL('./fleet-app.ts', import.meta.url));
const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

interface Instance {
  child: ChildProcess;
  url: string;
}

async function startInstance(schema: string, node: string, spool: string, appName?: string): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', APP, schema, node, spool, ...(appName ? [appName] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => void child.kill('SIGKILL'));
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /port (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`instance ${node} exited early (${code})`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

async function put(instance: Instance, requestId: string): Promise<boolean> {
  try {
    const res = await fetch(`${instance.url}/items/${requestId}`, { method: 'PUT', headers: { 'x-request-id': requestId, authorization: 'Bearer t0ps3cret' } });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

async function seen(instance: Instance): Promise<string[]> {
  return (await (await fetch(`${instance.url}/_seen`)).json()) as string[];
}

describe('PostgreSQL store, a fleet of processes', () => {
  it('three processes write at once; each of them reads every record of all three', async () => {
    const schema = freshSchemaName();
    cleanups.push(() => dropSchema(schema));
    const dir = tempDir();
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const fleet = await Promise.all(['node-1', 'node-2', 'node-3'].map((n) => startInstance(schema, n, join(dir, n))));
    const sent: string[] = [];
    await Promise.all(
      fleet.map(async (instance, k) => {
        for (let i = 0; i < 150; i += 10) {
          const ids = Array.from({ length: 10 }, (_, j) => `n${k + 1}-${i + j}`);
          const oks = await Promise.all(ids.map((id) => put(instance, id)));
          assert.ok(oks.every(Boolean));
          sent.push(...ids);
        }
      }),
    );
    for (const instance of fleet) {
      const ids = await seen(instance);
      assert.equal(ids.length, 450);
      assert.deepEqual([...ids].sort(), [...sent].sort());
    }
    const leaked = await sql<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".records WHERE line LIKE '%t0ps3cret%'`);
    assert.equal(leaked[0]!.n, '0', 'the bearer token never reaches the store');
    for (const instance of fleet) instance.child.kill('SIGTERM');
  });

  it('SIGKILL mid-batch: no partial batch is left, and after a restart nothing is lost (spool) or doubled', async () => {
    const schema = freshSchemaName();
    cleanups.push(() => dropSchema(schema));
    const dir = tempDir();
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const spool = join(dir, 'spool');
    const appName = `akt_fleet_${process.pid}`;
    let instance = await startInstance(schema, 'node-k', spool, appName);

    const before = Array.from({ length: 20 }, (_, i) => `before-${i}`);
    for (const id of before) assert.ok(await put(instance, id));

    // A transaction of ours holds a lock that conflicts with INSERT: the instance's next batch is
    // stuck inside its own transaction, mid-statement, when the process is killed.
    const blocker = new pg.Client({ connectionString: PG_URL });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query(`LOCK TABLE "${schema}".records IN SHARE MODE`);
    const during = Array.from({ length: 30 }, (_, i) => `during-${i}`);
    const acked = await Promise.all(during.map((id) => put(instance, id)));
    // Blocking mode: each answer came once its record was durably in the spool (the batch timed out).
    assert.ok(acked.every(Boolean), 'requests are answered while the database is stuck');
    const waiting = await sql<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO%'`,
      [appName],
    );
    assert.ok(Number(waiting[0]!.n) >= 1, 'an INSERT of the instance is in flight, waiting');

    instance.child.kill('SIGKILL');
    await once(instance.child, 'exit');
    await blocker.query('ROLLBACK');
    await blocker.end();
    // The killed instance's backends notice the closed socket and roll back.
    await waitFor(async () => Number((await sql<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1', [appName]))[0]!.n) === 0, 20_000, 'the killed instance’s sessions to end');
    const stored = async (): Promise<string[]> =>
      (await sql<{ request_id: string }>(`SELECT request_id FROM "${schema}".records WHERE event = 'request' ORDER BY request_id`)).map((r) => r.request_id);
    const afterKill = await stored();
    assert.deepEqual(afterKill.filter((id) => id.startsWith('during-')), [], 'nothing of the killed batch was committed: no partial batch');
    assert.deepEqual(afterKill, [...before].sort());

    instance = await startInstance(schema, 'node-k', spool, appName);
    await waitFor(async () => (await stored()).length >= 50, 30_000, 'the spool to be replayed');
    assert.ok(await put(instance, 'after-0'));
    await waitFor(async () => (await stored()).length >= 51, 10_000, 'the new record');
    const final = await stored();
    assert.deepEqual(final, [...before, ...during, 'after-0'].sort(), 'every answered request has its record, once');
    const dupes = await sql<{ n: string }>(`SELECT count(*) - count(DISTINCT id) AS n FROM "${schema}".records`);
    assert.equal(dupes[0]!.n, '0');
    instance.child.kill('SIGTERM');
  });
});
