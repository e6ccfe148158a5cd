import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

// `pnpm demo <framework>` is the first thing a new user runs (issue 11, item 7): each one must answer
// every request as expected, show its records, and leave no example server running, even when it
// is interrupted. Run with --no-build: the suite has built the packages.

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');

interface DemoRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runDemo(framework: string, onStarted?: (child: ReturnType<typeof spawn>) => void): Promise<DemoRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'scripts/demo.mjs'), framework, '--no-build'], {
      cwd: root,
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let started = false;
    child.stdout.on('data', (c) => {
      stdout += c;
      if (!started && stdout.includes('sending requests')) {
        started = true;
        onStarted?.(child);
      }
    });
    child.stderr.on('data', (c) => (stderr += c));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function exampleUrl(stdout: string): URL {
  const m = /Started examples\/\w+ at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
  assert.ok(m, `the demo names the example's address:\n${stdout}`);
  return new URL(m[1]!);
}

/** Whether something still listens on the example's port. */
function listening(url: URL): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('pnpm demo', () => {
  for (const framework of ['express', 'fastify', 'koa']) {
    it(`${framework}: every request answers as expected and the example is stopped`, async () => {
      const run = await runDemo(framework);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const statuses = [...run.stdout.matchAll(/^ {2}(\w+) +(\S+) +-> (\d{3})$/gm)].map((m) => `${m[1]} ${m[3]}`);
      assert.deepEqual(statuses, ['POST 201', 'PATCH 200', 'GET 200', 'DELETE 204', 'POST 401', 'GET 200']);
      // The read side: the five records queried back through the example's query API, the failure
      // found by EMQX's filter, a read without the viewer token refused, and every read in the trail.
      assert.match(run.stdout, /Read back through the query API \(GET \/admin\/audit\/records, newest first\): 5 records/);
      assert.match(run.stdout, /\?operation_result=failure -> \/session 401 \(source=mallory\)/);
      assert.match(run.stdout, /without the viewer token -> 401/);
      const inFile = Number(/(\d+) records in \S+audit\.log/.exec(run.stdout)?.[1]);
      assert.ok(inFile >= 8, `the file holds the 5 records and at least 3 reads of the trail, got ${inFile}`);
      assert.match(run.stdout, /audit\.log\.view +failure source=-/, 'the refused read is on record');
      assert.match(run.stdout, /The dashboard over these records[^\n]*\n\n {2}http:\/\/127\.0\.0\.1:\d+\/\?token=/);
      assert.doesNotMatch(run.stdout + run.stderr, /failed|Error/);
      assert.equal(await listening(exampleUrl(run.stdout)), false, 'the example server is gone');
    });
  }

  it('stops the example server when the demo is interrupted', async () => {
    const run = await runDemo('koa', (child) => child.kill('SIGINT'));
    assert.notEqual(run.code, 0);
    assert.equal(await listening(exampleUrl(run.stdout)), false, 'the example server is gone');
  });
});
