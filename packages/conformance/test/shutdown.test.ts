import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../src/records.js';
import { waitFor } from './helpers.js';

/** closeOnSignals in a real process: it flushes the trail and does not take over the app's own handlers. */

async function runChild(own: boolean): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; lines: number }> {
  const file = join(tempDir(), 'audit.log');
  const script = fileURLToPath(new URL('./fixtures/shutdown-child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), script, file, own ? 'own' : ''], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await waitFor(() => out.includes('listening'), 20_000, 'the app');
  const url = /(http:\/\/\S+)/.exec(out)![1]!;
  await Promise.all(Array.from({ length: 200 }, (_, n) => fetch(`${url}/items/${n}`, { method: 'POST' }).then((r) => r.arrayBuffer())));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  child.kill('SIGTERM');
  const [code, signal] = await exited;
  return { code, signal, out, lines: readFileSync(file, 'utf8').trim().split('\n').length };
}

describe('closeOnSignals', () => {
  it('alone: flushes every record, then ends the process by the signal as if auditkit were not there', async () => {
    const r = await runChild(false);
    assert.equal(r.lines, 200);
    assert.deepEqual([r.code, r.signal], [null, 'SIGTERM']);
  });

  it("beside the app's own handler: both run, the records are flushed, and the app decides how to exit", async () => {
    const r = await runChild(true);
    assert.equal(r.lines, 200);
    assert.match(r.out, /app handler ran/);
    assert.deepEqual([r.code, r.signal], [42, null]);
  });
});
