import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { AuditFileTransport, type AuditFault } from '@auditkit/core';
import { startApp } from '../src/apps.js';
import { tempDir } from '../src/records.js';
import { waitFor } from './helpers.js';

/**
 * The file sink under real faults: a full filesystem (a small tmpfs), a filesystem remounted
 * read-only, a directory the service may no longer write. Mounting needs root (CAP_SYS_ADMIN), which
 * the CI machine has; without it these tests fail, they do not skip.
 */

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (these tests need root to mount a tmpfs): ${r.stderr}`);
}

function tmpfs(sizeKb: number) {
  const dir = tempDir('auditkit-tmpfs-');
  run('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k,mode=0755`, 'tmpfs', dir]);
  return {
    dir,
    remount: (mode: 'ro' | 'rw') => run('mount', ['-o', `remount,${mode}`, dir]),
    unmount: () => run('umount', ['-l', dir]),
  };
}

function auditLines(file: string): Array<Record<string, any>> {
  const text = readFileSync(file, 'utf8');
  assert.ok(text.endsWith('\n'), 'the file ends with a whole record');
  return text.slice(0, -1).split('\n').map((l) => JSON.parse(l));
}

const causeCode = (f: AuditFault): string | undefined => (f.cause as NodeJS.ErrnoException | undefined)?.code;

describe('file sink faults', () => {
  it('ENOSPC: the app keeps serving, records wait in the queue, nothing is lost or split once space returns', async () => {
    const fs = tmpfs(256);
    try {
      // Leave about 16 KiB free: room for a dozen records.
      writeFileSync(join(fs.dir, 'filler'), Buffer.alloc(240 * 1024));
      const file = join(fs.dir, 'audit.log');
      const app = await startApp('express', { audit: { file, queue: { retryMs: 50, retryMaxMs: 200 } } });
      const faults: AuditFault[] = [];
      app.auditor.on('fault', (f: AuditFault) => faults.push(f));
      try {
        for (let i = 0; i < 100; i++) {
          const res = await request(app.url).post(`/api/users/${i}`).send({ note: 'y'.repeat(400) });
          assert.equal(res.status, 201, 'a full disk never fails a request');
        }
        await waitFor(() => faults.some((f) => causeCode(f) === 'ENOSPC'), 5000, 'an ENOSPC fault');
        const enospc = faults.find((f) => causeCode(f) === 'ENOSPC')!;
        assert.match(enospc.message, /: ENOSPC: no space left on device, write; its records wait in its queue and the write is retried$/);
        const during = Object.values(app.auditor.stats().sinks)[0]!;
        assert.ok(during.errors > 0 && during.queued > 0, `errors ${during.errors}, queued ${during.queued}`);
        rmSync(join(fs.dir, 'filler'));
        await waitFor(() => Object.values(app.auditor.stats().sinks)[0]!.written === 100, 10_000, 'the backlog to be written');
      } finally {
        await app.close();
      }
      const records = auditLines(file);
      assert.deepEqual(records.map((r) => r.bindings.id), Array.from({ length: 100 }, (_, i) => String(i)));
      assert.equal(new Set(records.map((r) => r.id)).size, 100);
    } finally {
      fs.unmount();
    }
  });

  for (const mode of ['blocking', 'strict'] as const) {
    it(`ENOSPC, ${mode} sink: the response ${mode === 'strict' ? 'is refused with 503' : 'is released'} as soon as the write fails, and the record is written once space returns`, async () => {
      const fs = tmpfs(256);
      try {
        const file = join(fs.dir, 'audit.log');
        const app = await startApp('express', { audit: { sinks: [{ transport: new AuditFileTransport({ path: file }), mode, queue: { retryMs: 50, retryMaxMs: 200 } }] } });
        const faults: AuditFault[] = [];
        app.auditor.on('fault', (f: AuditFault) => faults.push(f));
        try {
          assert.equal((await request(app.url).post('/api/users/0').send({})).status, 201);
          writeFileSync(join(fs.dir, 'filler'), Buffer.alloc(240 * 1024));
          // The file's last page still has room: write until a record no longer fits.
          let n = 1;
          for (; n < 100; n++) {
            const status = (await request(app.url).post(`/api/users/${n}`).send({ note: 'y'.repeat(2000) })).status;
            if (mode === 'strict' && status === 503) break;
            assert.equal(status, 201, 'blocking reports, it never refuses');
            if (faults.some((f) => causeCode(f) === 'ENOSPC')) break;
          }
          assert.ok(faults.some((f) => causeCode(f) === 'ENOSPC'), 'the disk filled up');
          if (mode === 'strict') {
            assert.ok(n < 100, 'a record that could not be written was refused');
            const calls = app.observed.calls.createUser;
            assert.equal((await request(app.url).post(`/api/users/${n + 1}`).send({})).status, 503, 'known down: refused');
            assert.equal(app.observed.calls.createUser, calls, 'before its handler ran');
          }
          rmSync(join(fs.dir, 'filler'));
          await waitFor(() => Object.values(app.auditor.stats().sinks)[0]!.queued === 0, 10_000, 'the backlog');
          assert.equal((await request(app.url).post('/api/users/last').send({})).status, 201, 'space again: accepted');
        } finally {
          await app.close();
        }
        const ids = auditLines(file).map((r) => r.bindings.id);
        assert.equal(ids[0], '0');
        assert.equal(ids.at(-1), 'last');
        // Every request whose handler ran has its record, in order; a strict refusal before the handler has none.
        const ran = ids.slice(1, -1).map(Number);
        assert.deepEqual(ran, Array.from({ length: ran.length }, (_, i) => i + 1));
      } finally {
        fs.unmount();
      }
    });
  }

  it('EROFS: a filesystem remounted read-only is reported, and writing resumes when it is writable again', async () => {
    const fs = tmpfs(1024);
    try {
      const file = join(fs.dir, 'audit.log');
      const app = await startApp('express', { audit: { file: { path: file, reopenOnSighup: true }, queue: { retryMs: 50, retryMaxMs: 200 } } });
      const faults: AuditFault[] = [];
      app.auditor.on('fault', (f: AuditFault) => faults.push(f));
      try {
        for (let i = 0; i < 10; i++) await request(app.url).post(`/api/users/${i}`).send({});
        await waitFor(() => Object.values(app.auditor.stats().sinks)[0]!.written === 10, 5000, 'ten records');
        // logrotate's signal closes the file; with no writer left the filesystem can go read-only.
        process.kill(process.pid, 'SIGHUP');
        await new Promise((r) => setTimeout(r, 100));
        fs.remount('ro');
        for (let i = 10; i < 20; i++) assert.equal((await request(app.url).post(`/api/users/${i}`).send({})).status, 201);
        await waitFor(() => faults.some((f) => causeCode(f) === 'EROFS'), 5000, 'an EROFS fault');
        assert.ok(Object.values(app.auditor.stats().sinks)[0]!.queued > 0);
        fs.remount('rw');
        await waitFor(() => Object.values(app.auditor.stats().sinks)[0]!.written === 20, 10_000, 'the backlog');
      } finally {
        await app.close();
      }
      assert.deepEqual(auditLines(file).map((r) => r.bindings.id), Array.from({ length: 20 }, (_, i) => String(i)));
    } finally {
      fs.unmount();
    }
  });

  it('EACCES: a directory the service may no longer write is reported, and writing resumes when it may', async () => {
    const dir = tempDir('auditkit-eacces-');
    chownSync(dir, 65534, 65534);
    chmodSync(dir, 0o700);
    const script = fileURLToPath(new URL('./fixtures/eacces-child.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), script, dir], { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    try {
      await waitFor(() => out.includes('listening'), 20_000, 'the app running as nobody');
      const url = /(http:\/\/\S+)/.exec(out)![1]!;
      const stats = async () => (await fetch(`${url}/stats`)).json() as Promise<{ sink: { written: number; queued: number; errors: number }; faults: Array<{ code: string; cause?: string }> }>;
      const post = async (n: number) => (await fetch(`${url}/items/${n}`, { method: 'POST' })).status;
      for (let n = 1; n <= 5; n++) assert.equal(await post(n), 201);
      for (let i = 0; i < 100 && (await stats()).sink.written < 5; i++) await new Promise((r) => setTimeout(r, 20));
      // An operator rotates the file away and, by mistake, takes the service's write permission.
      renameSync(join(dir, 'audit.log'), join(dir, 'audit.log.1'));
      chmodSync(dir, 0o500);
      child.kill('SIGHUP');
      await new Promise((r) => setTimeout(r, 100));
      for (let n = 6; n <= 10; n++) assert.equal(await post(n), 201, 'the app keeps serving');
      let s = await stats();
      for (let i = 0; i < 100 && !s.faults.some((f) => f.cause === 'EACCES'); i++) {
        await new Promise((r) => setTimeout(r, 50));
        s = await stats();
      }
      assert.ok(s.faults.some((f) => f.code === 'AUDITKIT_SINK_FAILED' && f.cause === 'EACCES'), JSON.stringify(s.faults));
      assert.ok(s.sink.queued > 0);
      chmodSync(dir, 0o700);
      for (let i = 0; i < 200 && s.sink.written < 10; i++) {
        await new Promise((r) => setTimeout(r, 50));
        s = await stats();
      }
      assert.equal(s.sink.written, 10);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    const ids = (f: string) => auditLines(join(dir, f)).map((r) => r.bindings.n);
    assert.deepEqual(ids('audit.log.1'), ['1', '2', '3', '4', '5']);
    assert.deepEqual(ids('audit.log'), ['6', '7', '8', '9', '10']);
  });
});
