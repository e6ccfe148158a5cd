import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import request from 'supertest';
import winston from 'winston';
import type { AuditFault } from '@auditkit/core';
import { FRAMEWORKS, startApp } from '../src/apps.js';
import { schemaErrors, tempDir } from '../src/records.js';
import { waitFor } from './helpers.js';

/**
 * Delivery through real Winston transports. A full queue, strict mode and blocking timeouts are in
 * delivery-faults.test.ts, against a peer that never reads.
 */

for (const framework of FRAMEWORKS) {
  describe(`delivery (${framework})`, () => {
    it('records reach Winston transports (Console and File) with the JSON line as the message', async () => {
      const dir = tempDir();
      const file = join(dir, 'winston.log');
      const lines: string[] = [];
      const { Writable } = await import('node:stream');
      const sink = new Writable({
        write(chunk, _enc, cb) {
          lines.push(String(chunk));
          cb();
        },
      });
      const console = new winston.transports.Stream({ stream: sink });
      const fileTransport = new winston.transports.File({ filename: file });
      const app = await startApp(framework, { audit: { transports: [console, fileTransport] } });
      try {
        await request(app.url).post('/api/users/7').send({ password: 'x' });
      } finally {
        await app.close();
      }
      assert.equal(lines.length, 1);
      const fromStream = JSON.parse(lines[0]!);
      assert.equal(fromStream.operation_id, '/api/users/:id');
      const fromFile = readFileSync(file, 'utf8').trim().split('\n');
      assert.equal(fromFile.length, 1, 'winston File flushed on close');
      assert.deepEqual(JSON.parse(fromFile[0]!), fromStream);
    });

    it('a Winston logger passed in gets the record through its own format', async () => {
      const dir = tempDir();
      const file = join(dir, 'logger.log');
      const logger = winston.createLogger({
        levels: winston.config.syslog.levels,
        format: winston.format.combine(winston.format.timestamp({ format: () => 'fixed' }), winston.format.json()),
        transports: [new winston.transports.File({ filename: file })],
      });
      const app = await startApp(framework, { audit: { logger } });
      try {
        await request(app.url).post('/status/500').send({});
      } finally {
        await app.close();
      }
      // The logger is lent: auditkit never ends it. Its owner does, which flushes the file.
      const flushed = once(logger.transports[0]!, 'finish');
      logger.end();
      await flushed;
      const line = JSON.parse(readFileSync(file, 'utf8').trim());
      assert.equal(line.timestamp, 'fixed', "the logger's own format applied");
      assert.equal(line.level, 'warning', 'a failure maps to the logger\'s own level name');
      assert.equal(line.http_status_code, 500);
    });
  });
}
