import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../src/records.js';
import { waitFor } from './helpers.js';

/**
 * SIGKILL in each mode, with a real process (fixtures/crash-child.ts) and a file sink: 8 requests in
 * flight at all times, the process killed once 300 have been answered. The syslog sink's crash
 * behaviour (spool) is tested in packages/syslog/test/crash.test.ts.
 */

const MAX = 50;

async function killMidStream(mode: 'async' | 'blocking' | 'strict'): Promise<{ answered: Set<string>; inFile: string[] }> {
  const file = join(tempDir(), 'audit.log');
  const script = fileURLToPath(new URL('./fixtures/crash-child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), script, file, mode, String(MAX)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await waitFor(() => out.includes('listening'), 20_000, 'the app');
  const url = /(http:\/\/\S+)/.exec(out)![1]!;
  const answered = new Set<string>();
  let next = 0;
  let killed = false;
  const exited = once(child, 'exit');
  const worker = async (): Promise<void> => {
    while (!killed) {
      const n = String(next++);
      try {
        const res = await fetch(`${url}/items/${n}`, { method: 'POST' });
        await res.arrayBuffer();
        if (res.status === 201) answered.add(n);
      } catch {
        return; // the process is gone
      }
      if (answered.size >= 300 && !killed) {
        killed = true;
        child.kill('SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  await exited;
  const text = readFileSync(file, 'utf8');
  // A kill in the middle of a write(2) can leave at most a torn last line, which the next start trims.
  const whole = text.slice(0, text.lastIndexOf('\n') + 1);
  return { answered, inFile: whole.split('\n').filter(Boolean).map((l) => JSON.parse(l).bindings.n as string) };
}

describe('SIGKILL, file sink', () => {
  for (const mode of ['blocking', 'strict'] as const) {
    it(`${mode}: every request that got its response has its record on disk`, async () => {
      const { answered, inFile } = await killMidStream(mode);
      const missing = [...answered].filter((n) => !inFile.includes(n));
      assert.deepEqual(missing, []);
    });
  }

  it(`async: at most the records still in memory are lost (queue.max, ${MAX} here), and no record is split`, async (t) => {
    const { answered, inFile } = await killMidStream('async');
    const missing = [...answered].filter((n) => !inFile.includes(n));
    t.diagnostic(`${answered.size} answered, ${missing.length} of them not on disk`);
    assert.ok(missing.length <= MAX, `${missing.length} lost`);
    assert.equal(new Set(inFile).size, inFile.length, 'each record once');
  });
});
