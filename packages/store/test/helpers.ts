import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson } from '@auditkit/core';

export function tempDir(prefix = 'auditkit-store-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A small request record with a given number and time (epoch µs): record n has id …n, padded. */
export function recordLine(n: number, time: number, extra: Record<string, unknown> = {}): string {
  return canonicalJson({
    event: 'request',
    from: 'rest_api',
    http_method: 'post',
    http_status_code: 201,
    id: `019b0000-0000-7000-8000-${String(n).padStart(12, '0')}`,
    level: 'info',
    node: 'test-node',
    operation_id: '/items/:n',
    operation_result: 'success',
    source: 'alice',
    source_ip: '127.0.0.1',
    time,
    ts: new Date(Math.floor(time / 1000)).toISOString(),
    ...extra,
  });
}

export const numberOf = (line: string): number => Number((JSON.parse(line) as { id: string }).id.slice(-12));

export function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (these tests need root to mount a tmpfs): ${r.stderr}`);
}

/** A small tmpfs (root only): a disk that fills, or goes read-only. */
export function tmpfs(sizeKb: number) {
  const dir = tempDir('auditkit-tmpfs-');
  run('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k,mode=0755`, 'tmpfs', dir]);
  return {
    dir,
    remount: (mode: 'ro' | 'rw') => run('mount', ['-o', `remount,${mode}`, dir]),
    unmount: () => run('umount', ['-l', dir]),
  };
}

export async function waitFor(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
