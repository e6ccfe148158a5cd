import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import request from 'supertest';
import { keygen } from '@auditkit/cli';
import { AuditFileTransport, type AuditFileOptions } from '@auditkit/core';
import { FRAMEWORKS, startApp } from '../src/apps.js';
import { readRecords, schemaErrors, tempDir } from '../src/records.js';

/**
 * Time-based rotation, for real: a chained file with per-sink fields, rotating at boundaries one second
 * apart (auditkit's internal test seam stands in for the hour; the boundary arithmetic itself is tested
 * with written-out hours and days in core's rotation-time tests), then `auditkit verify` on the
 * directory.
 */

const AUDITKIT = fileURLToPath(new URL('../../cli/bin/auditkit.mjs', import.meta.url));
const EVERY_SECOND = (now: number): number => Math.floor(now / 1000) * 1000 + 1000;

/** Waits until just after the next whole second, so a phase of requests sits inside one period. */
async function nextSecond(): Promise<void> {
  await sleep(1000 - (Date.now() % 1000) + 60);
}

const requestIds = (file: string): string[] =>
  (readRecords(file) as unknown as Array<{ event: string; request_id?: string }>).filter((r) => r.event === 'request').map((r) => r.request_id!);

for (const framework of FRAMEWORKS) {
  describe(`time-based rotation on ${framework}`, () => {
    it('a chained trail rotated by time, with per-sink fields, verifies clean', async () => {
      const dir = tempDir();
      const keys = await keygen({ out: dir, name: 'audit', alg: 'ed25519', force: false });
      const trail = join(dir, 'trail');
      const options = {
        path: join(trail, 'audit.log'),
        rotateEvery: 'hour',
        chain: { key: { file: keys.privateKeyFile }, checkpointEvery: 100 },
        [Symbol.for('auditkit.internal.rotationBoundary')]: EVERY_SECOND,
      } as AuditFileOptions;
      const file = new AuditFileTransport(options);
      const app = await startApp(framework, { audit: { node: 'conformance', sinks: [{ transport: file, fields: { environment: 'prod', cluster: 'eu-1' } }] } });
      try {
        await nextSecond();
        for (let i = 0; i < 3; i++) assert.equal((await request(app.url).post(`/api/users/${i}`).set('x-request-id', `p1-${i}`).send({})).status, 201);
        await nextSecond();
        // The first batch past the boundary starts the new file.
        for (let i = 0; i < 3; i++) assert.equal((await request(app.url).post(`/api/users/${i}`).set('x-request-id', `p2-${i}`).send({})).status, 201);
        // No record at the next boundary: the file is rotated on time all the same.
        await nextSecond();
        await sleep(300);
        assert.equal(existsSync(join(trail, 'audit.log')), false, 'the second file was rotated at its boundary without a write');
        for (let i = 0; i < 2; i++) assert.equal((await request(app.url).post(`/api/users/${i}`).set('x-request-id', `p3-${i}`).send({})).status, 201);
      } finally {
        await app.close();
      }
      const rotated = readdirSync(trail).filter((n) => /^audit-\d{8}T\d{9}Z\.log$/.test(n)).sort();
      // The chain's start, written when the app started, may have a file of its own from the period before.
      assert.ok(rotated.length === 2 || rotated.length === 3, readdirSync(trail).join(', '));
      if (rotated.length === 3) assert.deepEqual(requestIds(join(trail, rotated.shift()!)), []);
      assert.deepEqual(requestIds(join(trail, rotated[0]!)), ['p1-0', 'p1-1', 'p1-2']);
      assert.deepEqual(requestIds(join(trail, rotated[1]!)), ['p2-0', 'p2-1', 'p2-2']);
      assert.deepEqual(requestIds(join(trail, 'audit.log')), ['p3-0', 'p3-1']);
      for (const name of readdirSync(trail).filter((n) => n.endsWith('.log'))) {
        const records = readRecords(join(trail, name)) as unknown as Array<Record<string, unknown>>;
        for (const r of records.filter((x) => x.event === 'request')) {
          assert.equal(r.environment, 'prod');
          assert.equal(r.cluster, 'eu-1');
          assert.equal(schemaErrors(r), undefined);
        }
        // One chain through every file.
        assert.equal(new Set(records.map((r) => r.chain)).size, 1);
      }
      const verified = spawnSync(process.execPath, [AUDITKIT, 'verify', trail, '--key', keys.publicKeyFile], { encoding: 'utf8' });
      assert.equal(verified.status, 0, verified.stdout + verified.stderr);
    });
  });
}
