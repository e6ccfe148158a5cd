import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { keygen } from '@auditkit/cli';
import { FRAMEWORKS, startApp } from '../src/apps.js';
import { normalize, readRecords, schemaErrors, tempDir } from '../src/records.js';

/**
 * Beyond HTTP, through the real adapters: what changed on req.audit / request.audit / ctx.audit, and
 * application events from a background job chained in the same file as request records, verified
 * clean by the `auditkit verify` command.
 */

const AUDITKIT = fileURLToPath(new URL('../../cli/bin/auditkit.mjs', import.meta.url));

describe('what changed, on every adapter', () => {
  const seen: unknown[] = [];
  for (const framework of FRAMEWORKS) {
    it(`${framework}: the request record carries both states, redacted, and the patch between them`, async () => {
      const file = join(tempDir(), 'audit.log');
      const app = await startApp(framework, { audit: { file } });
      try {
        assert.equal((await request(app.url).patch('/api/users/7/role').send({ role: 'owner' })).status, 200);
      } finally {
        await app.close();
      }
      const text = readFileSync(file, 'utf8');
      assert.ok(!text.includes('ak_old_1') && !text.includes('ak_new_2'), 'the API key never reaches the trail, nor through the patch');
      const [record] = readRecords(file);
      assert.equal(schemaErrors(record), undefined);
      assert.deepEqual((record as unknown as Record<string, unknown>).change, {
        after: { apiKey: '******', id: '7', role: 'owner' },
        before: { apiKey: '******', id: '7', role: 'member' },
        patch: [{ op: 'replace', path: '/role', value: 'owner' }],
      });
      seen.push(normalize(record!));
    });
  }
  it('the three adapters write the same record', () => {
    assert.equal(seen.length, 3);
    assert.deepEqual(seen[1], seen[0]);
    assert.deepEqual(seen[2], seen[0]);
  });
});

describe('application events from a background job', () => {
  it('are chained in the same file as request records, and `auditkit verify` finds the file intact', async () => {
    const dir = tempDir();
    const keys = await keygen({ out: dir, name: 'audit', alg: 'ed25519', force: false });
    const file = join(dir, 'audit.log');
    const app = await startApp('express', { audit: { file: { path: file, chain: { key: { file: keys.privateKeyFile }, checkpointEvery: 5 } } } });
    // The job runs beside the requests, on its own timer, as a real one would.
    let sent = 0;
    const job = setInterval(() => {
      sent++;
      void app.auditor.event('invoice.sent', { operator: 'job:billing', target: { type: 'invoice', id: `inv-${sent}` }, meta: { attempt: 1 } });
    }, 2);
    try {
      for (let i = 0; i < 12; i++) assert.equal((await request(app.url).post(`/api/users/${i}`).send({ password: 'hunter2' })).status, 201);
      while (sent < 12) await new Promise((r) => setTimeout(r, 5));
    } finally {
      clearInterval(job);
      await app.close();
    }
    const records = readRecords(file) as unknown as Array<Record<string, unknown>>;
    const events = records.map((r) => r.event);
    assert.equal(events.filter((e) => e === 'request').length, 12);
    assert.equal(events.filter((e) => e === 'invoice.sent').length, sent);
    const chains = new Set(records.map((r) => r.chain));
    assert.equal(chains.size, 1, 'one chain through both kinds of record');
    for (const r of records) assert.equal(schemaErrors(r), undefined, String(r.event));
    assert.ok(!readFileSync(file, 'utf8').includes('hunter2'));

    const verified = spawnSync(process.execPath, [AUDITKIT, 'verify', file, '--key', keys.publicKeyFile], { encoding: 'utf8' });
    assert.equal(verified.status, 0, verified.stdout + verified.stderr);

    // Someone without the key edits an event: verify says so.
    const lines = readFileSync(file, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.includes('"invoice.sent"') && l.includes('inv-3"'));
    lines[at] = lines[at]!.replace('inv-3"', 'inv-X"');
    writeFileSync(file, lines.join('\n'));
    const tampered = spawnSync(process.execPath, [AUDITKIT, 'verify', file, '--key', keys.publicKeyFile], { encoding: 'utf8' });
    assert.equal(tampered.status, 1, tampered.stdout);
  });
});
