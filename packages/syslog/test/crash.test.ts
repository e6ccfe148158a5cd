import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { checkDelivery, spoolDir, until } from './helpers.js';
import { freePort, Rsyslog } from './rsyslog.js';

/**
 * What survives SIGKILL, with real processes: the app runs in a child (fixtures/spool-child.ts) that
 * is killed with no warning, and a second process starts on the same spool.
 */

const script = fileURLToPath(new URL('./fixtures/spool-child.ts', import.meta.url));

function start(args: string[], strace?: string): { child: ChildProcess; out: () => string } {
  const node = [process.execPath, '--import', import.meta.resolve('tsx'), script, ...args];
  const child = strace
    ? spawn('strace', ['-f', '-qq', '-e', 'trace=fsync,fdatasync', '-o', strace, ...node], { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(node[0]!, node.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  return { child, out: () => out };
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** Runs `drain` on the spool with rsyslog listening; returns what rsyslog received. */
async function drain(port: number, dir: string, strace?: string): Promise<{ records: Array<Record<string, any>>; found: number; pid: number }> {
  const rs = await Rsyslog.start({ protocol: 'tcp', port });
  try {
    const { child, out } = start(['drain', String(port), dir, '0'], strace);
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, out());
    const found = Number(/found (\d+)/.exec(out())![1]);
    const written = Number(/written (\d+)/.exec(out())![1]);
    await until(() => rs.messages().length >= written, 5000, `${written} messages`);
    return { records: rs.records(), found, pid: Number(/pid (\d+)/.exec(out())![1]) };
  } finally {
    await rs.stop();
  }
}

const segmentsIn = (dir: string): string[] => readdirSync(join(dir, readdirSync(dir)[0]!)).filter((f) => f.startsWith('seg-'));

describe('SIGKILL, syslog sink', () => {
  it('async: every record stats().spooled counted when the process was killed is delivered by the next one', async (t) => {
    for (let round = 1; round <= 2; round++) {
      const port = await freePort();
      const dir = spoolDir();
      const { child, out } = start(['race', String(port), dir, '0']);
      // Killed the moment the counter passes 150, while records keep coming and appends are under way.
      await until(() => [...out().matchAll(/spooled (\d+)/g)].some((m) => Number(m[1]) >= 150), 30_000, 'spooled >= 150');
      await kill(child);
      const counted = Math.max(...[...out().matchAll(/spooled (\d+)/g)].map((m) => Number(m[1])));
      const { records, found } = await drain(port, dir);
      t.diagnostic(`round ${round}: spooled said ${counted} at the kill; the next process found ${found}`);
      assert.ok(found >= counted, `found ${found} < counted ${counted}`);
      // Records reach the spool in order, so the first `counted` are 1..counted.
      const { duplicates } = checkDelivery(records, counted);
      assert.equal(duplicates, 0);
    }
  });

  it('blocking: every request that got its response has its record delivered by the next process', async () => {
    const port = await freePort();
    const dir = spoolDir();
    const { child, out } = start(['blocking', String(port), dir, '0']);
    await until(() => /answered 100\n/.test(out()), 30_000, '100 answers');
    await kill(child);
    const answered = Math.max(...[...out().matchAll(/answered (\d+)/g)].map((m) => Number(m[1])));
    const { records } = await drain(port, dir);
    checkDelivery(records, answered);
  });

  it('blocking with the server up: every request that got its response is at the server', async () => {
    const rs = await Rsyslog.start({ protocol: 'tcp' });
    let answered = 0;
    try {
      const { child, out } = start(['blocking', String(rs.port), spoolDir(), '0']);
      await until(() => /answered 50\n/.test(out()), 30_000, '50 answers');
      await kill(child);
      answered = Math.max(...[...out().matchAll(/answered (\d+)/g)].map((m) => Number(m[1])));
      // Confirmed means rsyslog read them; its output file may lag a little behind.
      await until(() => rs.messages().length >= answered, 5000, `${answered} messages`);
    } finally {
      await rs.stop();
    }
    checkDelivery(rs.records(), answered);
  });

  it('a sink that never recovers: the file beside it has its drop count within a second, and keeps it through SIGKILL', async () => {
    const port = await freePort();
    const dir = spoolDir();
    const file = join(spoolDir(), 'audit.log');
    const { child, out } = start(['relay', String(port), dir, '200', file]);
    await until(() => /dropped \d+/.test(out()), 30_000, 'the drops');
    const dropped = Number(/dropped (\d+)/.exec(out())![1]);
    assert.ok(dropped > 0);
    const relayed = (): number =>
      readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.includes('"event":"audit.records_dropped"'))
        .reduce((n, l) => n + JSON.parse(l).dropped, 0);
    await until(() => relayed() === dropped, 3000, `the file to count ${dropped} drops`);
    await kill(child);
    assert.equal(relayed(), dropped);
  });

  it('the replay saves its cursor off the event loop, and leaves no delivered record on disk', async () => {
    const port = await freePort();
    const dir = spoolDir();
    const fill = start(['fill', String(port), dir, '300']);
    await until(() => fill.out().includes('spooled 300'), 30_000, 'the spool');
    await kill(fill.child);
    const trace = join(spoolDir(), 'strace.out');
    const { records, pid } = await drain(port, dir, trace);
    checkDelivery(records, 300);
    const calls = readFileSync(trace, 'utf8').split('\n').filter((l) => /^\d+ +f(data)?sync\(/.test(l));
    assert.ok(calls.length > 0, 'strace saw the cursor saves');
    const onLoop = calls.filter((l) => Number(l.split(' ')[0]) === pid);
    assert.deepEqual(onLoop, [], 'no fsync or fdatasync on the event loop thread');
    for (const f of segmentsIn(dir)) assert.equal(statSync(join(dir, readdirSync(dir)[0]!, f)).size, 0, `${f} still holds delivered records`);
  });
});
