import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

// What a new user pastes from the docs (issue 11, items 5 and 6).

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const guide = readFileSync(join(root, 'docs/getting-started.md'), 'utf8');

/** The fenced code blocks under the guide's heading that starts with `heading`. */
function blocks(heading: string): string[] {
  const start = guide.indexOf(`## ${heading}`);
  assert.notEqual(start, -1, `the guide has a step "${heading}"`);
  const end = guide.indexOf('\n## ', start + 3);
  const section = guide.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/```(?:ts|js)\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

function markdownFiles(): string[] {
  return ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`), ...readdirSync(join(root, 'packages')).map((p) => `packages/${p}/README.md`)];
}

describe('docs/getting-started.md pasted as is', () => {
  it('steps 2 and 6 for Express make an app that records a request and shuts down cleanly on SIGTERM', async () => {
    const [express] = blocks('2. Add one line');
    const [shutdown] = blocks('6. Shut down cleanly');
    assert.ok(express && shutdown);
    // The only change: port 0 instead of 3000, and one route standing for "your routes".
    const source = express
      .replace('app.listen(3000)', "app.listen(0, '127.0.0.1', () => console.log('port', server.address().port))")
      .replace('// ... your routes ...', "app.post('/items', (req, res) => res.status(201).json({}));");
    assert.notEqual(source, express);
    // Written beside this package so '@auditkit/express' and 'express' resolve, as in an app.
    const dir = join(root, 'packages/conformance/.tmp');
    mkdirSync(dir, { recursive: true });
    const file = join(mkdtempSync(join(dir, 'guide-')), 'app.mjs');
    writeFileSync(file, `${source}\n${shutdown}`);
    const cwd = mkdtempSync(join(tmpdir(), 'auditkit-guide-'));
    const child = spawn(process.execPath, [file], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        const m = /port (\d+)/.exec(String(c));
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`the guide's app exited (${code}): ${stderr}`)));
    });
    const res = await fetch(`http://127.0.0.1:${port}/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"spoon"}' });
    assert.equal(res.status, 201);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    assert.equal(stderr, '');
    const records = readFileSync(join(cwd, 'log/audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(records.map((r) => [r.http_method, r.operation_id, r.http_status_code]), [['post', '/items', 201]]);
  });

  it('step 4 replaces the middleware of step 2 rather than mounting a second one', () => {
    const [jwt] = blocks('4. Tell it who the operator is');
    assert.match(jwt!, /^const middleware = audit\(\{/);
    assert.match(guide, /This \*replaces\* the\n`const middleware = audit\(\);` line of step 2/);
  });

  it('says how to install before the packages are on the registry, and that import needs "type": "module"', () => {
    const [, install] = /## 1\. Install[^\n]*\n([\s\S]*?)\n## 2/.exec(guide) ?? [];
    assert.ok(install);
    assert.match(install, /node scripts\/pack\.mjs/);
    assert.match(install, /npm install \$P\/auditkit-core-0\.1\.0\.tgz \$P\/auditkit-store-0\.1\.0\.tgz \$P\/auditkit-api-0\.1\.0\.tgz/);
    assert.match(install, /"type": "module"/);
  });
});

describe('the CLI in the docs', () => {
  it('is never run as the unscoped npm name `auditkit` (npx would fetch whatever holds it)', () => {
    const offending: string[] = [];
    for (const file of markdownFiles()) {
      let text: string;
      try {
        text = readFileSync(join(root, file), 'utf8');
      } catch {
        continue;
      }
      text.split('\n').forEach((line, i) => {
        if (/\bnpx\s+(?:--yes\s+|-y\s+)?auditkit\b/.test(line)) offending.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    assert.deepEqual(offending, []);
    assert.match(readFileSync(join(root, 'README.md'), 'utf8'), /npx --package @auditkit\/cli auditkit keygen/);
  });
});
