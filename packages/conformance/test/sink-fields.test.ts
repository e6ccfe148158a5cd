import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import request from 'supertest';
import canonicalize from 'canonicalize';
import { keygen } from '@auditkit/cli';
import { AuditFileTransport } from '@auditkit/core';
import { FRAMEWORKS, startApp } from '../src/apps.js';
import { readLines, readRecords, schemaErrors, tempDir } from '../src/records.js';

/** Static fields per sink: each sink adds its own to what it writes, redacted, and a chained file chains them. */

const AUDITKIT = fileURLToPath(new URL('../../cli/bin/auditkit.mjs', import.meta.url));

for (const framework of FRAMEWORKS) {
  describe(`per-sink fields on ${framework}`, () => {
    it('each sink writes its own fields; a chained file with fields verifies clean', async () => {
      const dir = tempDir();
      const keys = await keygen({ out: dir, name: 'audit', alg: 'ed25519', force: false });
      const chained = new AuditFileTransport({ path: join(dir, 'trail', 'audit.log'), chain: { key: { file: keys.privateKeyFile }, checkpointEvery: 4 } });
      const plain = new AuditFileTransport({ path: join(dir, 'plain.log') });
      const bare = new AuditFileTransport({ path: join(dir, 'bare.log') });
      const app = await startApp(framework, {
        audit: {
          node: 'conformance',
          sinks: [
            { transport: chained, fields: { environment: 'prod', cluster: 'eu-1', shard: 3, canary: false } },
            { transport: plain, fields: { service: 'billing', api_token: 'tok-secret-1' } },
            bare,
          ],
        },
      });
      try {
        for (let i = 0; i < 6; i++) assert.equal((await request(app.url).post(`/api/users/${i}`).send({ name: 'Ada' })).status, 201);
        assert.equal((await request(app.url).post('/annotated/9')).status, 200);
        assert.equal(await app.auditor.event('invoice.sent', { operator: 'job:billing' }), true);
      } finally {
        await app.close();
      }
      const trail = readRecords(join(dir, 'trail', 'audit.log')) as unknown as Array<Record<string, unknown>>;
      const records = trail.filter((r) => r.event !== 'audit.checkpoint' && r.event !== 'audit.chain_start');
      assert.equal(records.length, 9);
      for (const r of records) {
        assert.equal(r.environment, 'prod');
        assert.equal(r.cluster, 'eu-1');
        assert.equal(r.shard, 3);
        assert.equal(r.canary, false);
        assert.equal(r.service, undefined, 'another sink’s fields stay there');
        assert.equal(schemaErrors(r), undefined, String(r.event));
      }
      // Each line is still canonical JSON: the fields sit in sorted order among the record's keys.
      for (const line of readLines(join(dir, 'plain.log'))) assert.equal(line, canonicalize(JSON.parse(line)));

      const plainRecords = readRecords(join(dir, 'plain.log')) as unknown as Array<Record<string, unknown>>;
      assert.equal(plainRecords.length, 9);
      for (const r of plainRecords) {
        assert.equal(r.service, 'billing');
        assert.equal(r.api_token, '******', 'a field named like a secret is masked');
        assert.equal(r.environment, undefined);
      }
      assert.ok(!readFileSync(join(dir, 'plain.log'), 'utf8').includes('tok-secret-1'));
      for (const r of readRecords(join(dir, 'bare.log')) as unknown as Array<Record<string, unknown>>) {
        assert.equal(r.environment, undefined);
        assert.equal(r.service, undefined);
      }

      const verified = spawnSync(process.execPath, [AUDITKIT, 'verify', join(dir, 'trail'), '--key', keys.publicKeyFile], { encoding: 'utf8' });
      assert.equal(verified.status, 0, verified.stdout + verified.stderr);

      // The fields are covered by the chain: changing one is a modified record.
      const file = join(dir, 'trail', 'audit.log');
      const lines = readFileSync(file, 'utf8').split('\n');
      const at = lines.findIndex((l) => l.includes('"event":"request"'));
      lines[at] = lines[at]!.replace('"cluster":"eu-1"', '"cluster":"us-1"');
      const { writeFileSync } = await import('node:fs');
      writeFileSync(file, lines.join('\n'));
      const tampered = spawnSync(process.execPath, [AUDITKIT, 'verify', join(dir, 'trail'), '--key', keys.publicKeyFile], { encoding: 'utf8' });
      assert.equal(tampered.status, 1, tampered.stdout);
    });
  });
}
