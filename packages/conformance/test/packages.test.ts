import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

/** Every built package loads with `import` and with `require`, exporting what the docs promise. */

const here = dirname(fileURLToPath(import.meta.url));
const expected: Record<string, string[]> = {
  '@auditkit/core': ['Auditor', 'createAuditor', 'AuditFileTransport', 'AuditTransport', 'AuditConfigError', 'ERROR_CODES', 'hmacValue', 'UNMATCHED_ROUTE'],
  '@auditkit/express': ['audit', 'default'],
  '@auditkit/fastify': ['audit', 'default'],
  '@auditkit/koa': ['audit', 'default'],
};

function run(args: string[]): string {
  const result = spawnSync(process.execPath, args, { cwd: here, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stderr, '', 'loads without warnings');
  return result.stdout.trim();
}

describe('built packages', () => {
  for (const [name, exports] of Object.entries(expected)) {
    it(`${name} loads with import`, () => {
      const out = run(['--input-type=module', '-e', `const m = await import(${JSON.stringify(name)}); console.log(JSON.stringify(Object.keys(m)))`]);
      const keys = JSON.parse(out) as string[];
      for (const e of exports) assert.ok(keys.includes(e), `${name} exports ${e} (has ${keys.join(', ')})`);
    });
    it(`${name} loads with require`, () => {
      const out = run(['-e', `const m = require(${JSON.stringify(name)}); console.log(JSON.stringify(Object.keys(m)))`]);
      const keys = JSON.parse(out) as string[];
      for (const e of exports) assert.ok(keys.includes(e), `${name} exports ${e} (has ${keys.join(', ')})`);
    });
  }

  it('the JSON Schema ships with @auditkit/core', () => {
    const out = run(['-e', `console.log(require('@auditkit/core/schema/audit-record.schema.json').title)`]);
    assert.equal(out, 'auditkit audit record');
  });

  it('a CommonJS app gets a working middleware from require', () => {
    const out = run([
      '-e',
      `const { audit } = require('@auditkit/express');
       const os = require('node:os'), path = require('node:path'), fs = require('node:fs');
       const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cjs-'));
       const mw = audit({ file: path.join(dir, 'a.log') });
       console.log(typeof mw, typeof mw.close);
       mw.close().then(() => console.log('closed'));`,
    ]);
    assert.equal(out, 'function function\nclosed');
  });
});
