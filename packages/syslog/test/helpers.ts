import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { audit, type AuditOptions } from '@auditkit/express';
import type { AuditFault, SinkStats } from '@auditkit/core';

/** An Express app audited into the given sinks: POST /items/:n answers 201, so `n` orders the records. */
export async function auditedApp(options: AuditOptions) {
  const app = express();
  const middleware = audit({ node: 'syslog-test', ...options });
  const faults: AuditFault[] = [];
  middleware.auditor.on('fault', (f: AuditFault) => faults.push(f));
  app.use(middleware);
  app.post('/items/:n', (_req, res) => void res.status(201).json({ ok: true }));
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    middleware,
    faults,
    sink(): SinkStats {
      return Object.values(middleware.stats().sinks)[0]!;
    },
    async post(n: number): Promise<number> {
      const res = await fetch(`${url}/items/${n}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      await res.arrayBuffer();
      return res.status;
    },
    async close(timeoutMs?: number): Promise<void> {
      await new Promise((r) => server.close(r));
      server.closeAllConnections();
      await middleware.auditor.close({ timeoutMs });
    },
  };
}

export function spoolDir(): string {
  return mkdtempSync(join(tmpdir(), 'auditkit-spool-'));
}

export async function until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Delivery check: every n from 1 to `count` arrived, first arrivals in order; returns duplicates. */
export function checkDelivery(records: Array<Record<string, any>>, count: number): { duplicates: number } {
  const seen = new Set<string>();
  const firsts: number[] = [];
  for (const r of records) {
    if (seen.has(r.id)) continue;
    seen.add(r.id);
    firsts.push(Number(r.bindings.n));
  }
  const missing: number[] = [];
  const have = new Set(firsts);
  for (let n = 1; n <= count; n++) if (!have.has(n)) missing.push(n);
  if (missing.length > 0) throw new Error(`${missing.length} record(s) never arrived, e.g. ${missing.slice(0, 10).join(', ')}`);
  for (let i = 1; i < firsts.length; i++) {
    if (firsts[i]! < firsts[i - 1]!) throw new Error(`out of order: ${firsts[i - 1]} then ${firsts[i]}`);
  }
  return { duplicates: records.length - seen.size };
}

/**
 * A small tmpfs of its own (root only, as the CI machine runs): for a disk that fills up or turns
 * read-only under the spool. Without mount rights the tests fail, they do not skip.
 */
export function tmpfs(sizeKb: number) {
  const dir = mkdtempSync(join(tmpdir(), 'auditkit-tmpfs-'));
  const run = (args: string[]): void => {
    const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed (these tests need root to mount a tmpfs): ${r.stderr}`);
  };
  run(['mount', '-t', 'tmpfs', '-o', `size=${sizeKb}k,mode=0755`, 'tmpfs', dir]);
  return {
    dir,
    /** Fills what is left with a file, until the file system says ENOSPC. */
    fill(): void {
      const fd = openSync(join(dir, 'filler'), 'w');
      try {
        for (;;) writeSync(fd, Buffer.alloc(64 * 1024));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      } finally {
        closeSync(fd);
      }
    },
    free: (): void => rmSync(join(dir, 'filler'), { force: true }),
    remount: (mode: 'ro' | 'rw'): void => run(['mount', '-o', `remount,${mode}`, dir]),
    unmount: (): void => run(['umount', '-l', dir]),
  };
}

/** Counters must add up at every moment, for every sink: nothing is in two places, nothing in none. */
export function checkBalance(sinks: Record<string, SinkStats>): void {
  for (const [name, s] of Object.entries(sinks)) {
    if (s.accepted !== s.written + s.failed + s.queued + s.spooled) {
      throw new Error(`${name}: accepted ${s.accepted} != written ${s.written} + failed ${s.failed} + queued ${s.queued} + spooled ${s.spooled}`);
    }
  }
}
